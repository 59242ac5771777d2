/**
 * The commander wiring of `tidaldb leader`: flags to LeaderRunOptions, and
 * SIGINT/SIGTERM to a clean stop (exit 0).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SHIP_INTERVAL_MS } from '../walShipper.js';
import { CliError, type CliIo, ExitCode } from './cliIo.js';
import { natsFromFlags } from './followerNats.js';
import { DEFAULT_LEADER_STATUS_INTERVAL_MS, runLeader } from './leader.js';
import type { LeaderRunOptions, LeaderTls } from './leaderOptions.js';
import { hostPortIn, integerIn, tokenFileIn, type TokenFile } from './optionParsers.js';
import type { HostPort } from './parseHostPort.js';
import type { SubcommandContext } from './subcommandContext.js';
import { untilSignalled } from './untilSignalled.js';

interface LeaderFlags {
  dir: string; listen?: HostPort; nats?: string; natsStream?: string; natsSubjectPrefix?: string; follower?: string[]; token?: string; tokenFile?: TokenFile; insecure?: boolean; metrics?: HostPort; shipIntervalMs: number; shipOn: 'tick' | 'commit'; statusInterval: number;
  ingest?: string; strict?: boolean; exitWhenSynced?: boolean; halfLife?: Array<readonly [string, number]>;
  tlsCa?: string; tlsCert?: string; tlsKey?: string;
}

export function leaderCommand(ctx: SubcommandContext): Command {
  return new Command('leader')
    .summary('run a leader database that ships its WAL to followers over TCP (or NATS JetStream), optionally ingesting NDJSON')
    .description(
      'Run a leader: open (and lock) the database in DIR, listen for followers at HOST:PORT (or publish to a NATS JetStream stream with --nats), '
      + 'and ship its WAL to the follower set. '
      + 'With --ingest, write NDJSON signals and items from FILE or stdin (-), one per line: {"signal":{...}} or {"item":{...}}; '
      + 'a bad line is reported with its line number and skipped (or, with --strict, stops the run). '
      + 'Prints one status line per second (each follower\'s state and lag); SIGINT or SIGTERM stops it cleanly.\n\n'
      + 'Exit codes: 0 stopped cleanly, 1 the directory could not be opened (locked by another process), the port could not be bound or NATS reached, '
      + 'a --strict ingest met a bad line, a write failed, or closing failed, 2 bad usage (missing flag, token or --ingest file).',
    )
    .requiredOption('--dir <dir>', 'the leader\'s database directory (created if missing)')
    .addOption(new Option('--listen <host:port>', 'where followers connect (port 0 picks one); or --nats').argParser(hostPortIn('--listen', { allowPortZero: true })))
    .addOption(new Option('--nats <urls>', 'ship through NATS JetStream at these server URLs (comma-separated) instead of --listen; '
      + 'no token: the NATS server authorizes who reads the stream').conflicts('listen'))
    .addOption(new Option('--nats-stream <name>', 'the shard\'s JetStream stream (default tidaldb-shard-<shard>)'))
    .addOption(new Option('--nats-subject-prefix <prefix>', 'the subjects\' prefix (default tidaldb)'))
    .addOption(new Option('--follower <id>', 'a follower\'s peer id (repeat for each follower)').argParser(collect))
    .addOption(new Option('--token-file <file>', 'read the shared secret (at least 16 bytes) from FILE').argParser(tokenFileIn('--token-file')))
    .addOption(new Option('--token <token>', 'the shared secret (at least 16 bytes; visible to other users in ps: prefer --token-file)').env('TIDALDB_TOKEN'))
    .option('--insecure', 'allow listening off loopback without TLS (frames are authenticated, not encrypted)')
    .addOption(new Option('--tls-cert <file>', 'this leader\'s certificate (enables TLS, with --tls-key)'))
    .addOption(new Option('--tls-key <file>', 'the private key of --tls-cert'))
    .addOption(new Option('--tls-ca <file>', 'PEM bundle that must have signed each follower\'s certificate (mutual TLS)'))
    .addOption(new Option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics').argParser(hostPortIn('--metrics', { allowPortZero: true })))
    .addOption(new Option('--ship-interval-ms <ms>', 'seal and ship every MS').argParser(integerIn(1, 3_600_000)).default(DEFAULT_SHIP_INTERVAL_MS))
    .addOption(new Option('--ship-on <when>', 'tick: seal and ship every --ship-interval-ms; commit: as each write commits (lowest lag)').choices(['tick', 'commit']).default('tick'))
    .addOption(new Option('--status-interval <ms>', 'print a status line this often').argParser(integerIn(50, 3_600_000)).default(DEFAULT_LEADER_STATUS_INTERVAL_MS))
    .option('--ingest <file>', 'write the NDJSON signals and items in FILE (- for stdin) into the database')
    .option('--strict', 'with --ingest: a bad line stops the run (exit 1) instead of being skipped')
    .option('--exit-when-synced', 'once --ingest is done and every follower has acked the leader\'s last seqno, stop and exit 0')
    .addOption(new Option('--half-life <type=ms>', 'half-life of a signal type for a new directory (* for the default; repeatable)').argParser(halfLifeEntry))
    .action((flags: LeaderFlags, command: Command) => untilSignalled(ctx, async (signal) => {
      const options = leaderOptions(flags, command.getOptionValueSource('token') === 'cli', ctx.io);
      return runLeader(options, ctx.io, { signal });
    }));
}

/** Repeated `--follower`: each adds one (commander passes undefined the first time). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `view=3600000` or `*=86400000`: a signal type and its half-life in ms. */
function halfLifeEntry(text: string, previous: Array<readonly [string, number]> | undefined): Array<readonly [string, number]> {
  const at = text.lastIndexOf('=');
  const ms = at > 0 && /^\d+$/.test(text.slice(at + 1)) ? Number(text.slice(at + 1)) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) throw new InvalidArgumentError('expected TYPE=MS with a half-life of at least 1 ms, e.g. view=3600000.');
  return [...(previous ?? []), [text.slice(0, at), ms] as const];
}

/** Flags to options; `--token-file` wins over TIDALDB_TOKEN, and is a usage error beside `--token` (as for the follower). */
function leaderOptions(f: LeaderFlags, tokenOnCommandLine: boolean, io: CliIo): LeaderRunOptions {
  if (f.tokenFile && tokenOnCommandLine) throw new CliError(ExitCode.Usage, 'leader: give --token or --token-file, not both');
  if (f.tokenFile?.othersCanRead) io.err.write(`warning: --token-file ${f.tokenFile.path} is readable by other users: chmod 600 it\n`);
  const given = Object.entries({ ca: f.tlsCa, cert: f.tlsCert, key: f.tlsKey }).filter(([, file]) => file !== undefined);
  const tls: LeaderTls | undefined = given.length > 0 ? Object.fromEntries(given) : undefined;
  const nats = natsFromFlags(f, 'leader');
  return {
    dir: f.dir, ...(f.listen && { listen: f.listen }), ...(nats && { nats }), followers: f.follower ?? [], token: f.tokenFile?.token ?? f.token, insecure: f.insecure === true,
    metrics: f.metrics, shipIntervalMs: f.shipIntervalMs, shipOn: f.shipOn,
    statusIntervalMs: f.statusInterval, ingest: f.ingest, strict: f.strict === true, exitWhenSynced: f.exitWhenSynced === true,
    ...(tls && { tls }), ...(f.halfLife && { halfLifeMs: Object.fromEntries(f.halfLife) }),
  };
}
