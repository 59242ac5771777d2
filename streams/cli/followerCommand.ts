/**
 * The commander wiring of `tidaldb follower`: its flags, their checks, and
 * the run (follower.ts) under SIGINT and SIGTERM.
 */
import * as os from 'node:os';
import { Command, Option } from 'commander';
import { CliError, type CliIo, ExitCode } from './cliIo.js';
import { DEFAULT_STATUS_INTERVAL_MS, type FollowerRunOptions, runFollower } from './follower.js';
import type { LinkTls } from './followerLink.js';
import type { LeaderTls } from './leaderOptions.js';
import { type NatsFlags, natsFromFlags, natsOptions } from './followerNats.js';
import { hostPortIn, integerIn, tokenFileIn, type TokenFile } from './optionParsers.js';
import type { HostPort } from './parseHostPort.js';
import type { SubcommandContext } from './subcommandContext.js';
import { untilSignalled } from './untilSignalled.js';

interface FollowerFlags extends NatsFlags {
  dir: string; connect?: HostPort; peer: string; token?: string; tokenFile?: TokenFile; metrics?: HostPort; statusInterval: number;
  statusJson?: boolean; waitForLeader?: boolean; rebuild?: boolean; tlsCa?: string; tlsCert?: string; tlsKey?: string;
  serve?: HostPort; serveFollower?: string[]; serveInsecure?: boolean; serveTlsCert?: string; serveTlsKey?: string; serveTlsCa?: string;
}

/** The commander wiring of `follower`; SIGINT and SIGTERM stop it cleanly (exit 0). */
export function followerCommand(ctx: SubcommandContext): Command {
  return natsOptions(new Command('follower')
    .summary('run a persisted read-only replica that follows a leader over TCP (or NATS JetStream)')
    .description(
      'Run a standalone follower: open (or create) a replica in DIR, connect to the leader at HOST:PORT over TCP, '
      + 'validate and replay every segment it ships, and resume from the replica\'s own high-water mark after a restart. '
      + 'Prints one status line per second (applied seqno, lag in events, staleness; "disconnected" and "lag unknown" '
      + 'when it does not know), or with --status-json one JSON object per line for a plot or an alert; '
      + 'connection losses are retried. SIGINT or SIGTERM stops it cleanly.\n\n'
      + 'Exit codes: 0 stopped cleanly, 1 the replica could not be opened (corrupt: see --rebuild), the leader could not be '
      + 'reached or refused this follower at start (an unknown or duplicate --peer, a wrong token, not a tidaldb leader), '
      + 'or closing failed, 2 bad usage (missing flag or token, a token under 16 bytes, --dir not a directory).',
    )
    .requiredOption('--dir <dir>', 'the replica\'s directory (created if missing)')
    .addOption(new Option('--connect <host:port>', 'the leader\'s replication address (or --nats)').argParser(hostPortIn('--connect')))
    .addOption(new Option('--peer <id>', 'this follower\'s peer id, as the leader lists it (--follower)').default(os.hostname(), 'this host\'s name'))
    .addOption(new Option('--token <token>', 'the shared secret (at least 16 bytes; visible to other users in ps: prefer --token-file)').env('TIDALDB_TOKEN'))
    .addOption(new Option('--token-file <file>', 'read the shared secret from FILE (trailing newline ignored)').argParser(tokenFileIn('--token-file')))
    .addOption(new Option('--tls-ca <file>', 'PEM bundle that signed the leader\'s certificate (enables TLS)'))
    .addOption(new Option('--tls-cert <file>', 'this follower\'s certificate, for mutual TLS (with --tls-key)'))
    .addOption(new Option('--tls-key <file>', 'the private key of --tls-cert'))
    .addOption(new Option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics').argParser(hostPortIn('--metrics', { allowPortZero: true })))
    .addOption(new Option('--status-interval <ms>', 'print a status line this often').argParser(integerIn(50, 3_600_000)).default(DEFAULT_STATUS_INTERVAL_MS))
    .option('--status-json', 'print each status line as one JSON object (time, peer, state, appliedSeq, leaderSeq, lagEvents, stalenessMs); '
      + 'stdout then holds only those lines, and the other notices go to stderr')
    .option('--wait-for-leader', 'keep retrying when the leader cannot be reached at start, instead of exiting 1')
    .option('--rebuild', 'move DIR aside (to DIR.before-rebuild-<time>, kept) and rebuild the replica from the leader\'s checkpoint')
    .addOption(new Option('--serve <host:port>', 'serve followers of its own here, as a relay: it ships what it stores (port 0 picks one)').argParser(hostPortIn('--serve', { allowPortZero: true })))
    .addOption(new Option('--serve-follower <id>', 'a peer id this follower serves with --serve (repeat for each)').argParser((id: string, ids: string[] = []) => [...ids, id]))
    .option('--serve-insecure', 'allow --serve off loopback without TLS (frames are authenticated, not encrypted)')
    .addOption(new Option('--serve-tls-cert <file>', 'the relay\'s certificate for --serve (enables TLS, with --serve-tls-key)'))
    .addOption(new Option('--serve-tls-key <file>', 'the private key of --serve-tls-cert'))
    .addOption(new Option('--serve-tls-ca <file>', 'PEM bundle that must have signed each of its followers\' certificates (mutual TLS)')))
    .action((flags: FollowerFlags, command: Command) => untilSignalled(ctx, async (signal) => {
      const options = followerOptions(flags, command.getOptionValueSource('token') === 'cli', ctx.io);
      return runFollower(options, ctx.io, { signal });
    }));
}

/** Flags to options; `--token-file` wins over TIDALDB_TOKEN, and is a usage error beside `--token`. */
function followerOptions(f: FollowerFlags, tokenOnCommandLine: boolean, io: CliIo): FollowerRunOptions {
  const given = Object.entries({ ca: f.tlsCa, cert: f.tlsCert, key: f.tlsKey }).filter(([, file]) => file !== undefined);
  const tls: LinkTls | undefined = given.length > 0 ? Object.fromEntries(given) : undefined;
  if (f.tokenFile && tokenOnCommandLine) throw new CliError(ExitCode.Usage, 'follower: give --token or --token-file, not both');
  if (f.nats !== undefined && tls) throw new CliError(ExitCode.Usage, 'follower: --tls-ca, --tls-cert and --tls-key are for --connect, not --nats');
  if (f.serveFollower && !f.serve) throw new CliError(ExitCode.Usage, 'follower: --serve-follower needs --serve HOST:PORT, where this follower serves them');
  const serveTls = serveTlsOf(f);
  if (f.tokenFile?.othersCanRead) io.err.write(`warning: --token-file ${f.tokenFile.path} is readable by other users: chmod 600 it\n`);
  const nats = natsFromFlags(f, 'follower');
  return {
    dir: f.dir, ...(f.connect && { connect: f.connect }), ...(nats && { nats }), peer: f.peer, token: f.tokenFile?.token ?? f.token, metrics: f.metrics, statusIntervalMs: f.statusInterval,
    statusJson: f.statusJson === true, waitForLeader: f.waitForLeader === true, rebuild: f.rebuild === true, ...(tls && { tls }),
    ...(f.serve && { serve: { address: f.serve, followers: f.serveFollower ?? [], ...(f.serveInsecure && { insecure: true }), ...(serveTls && { tls: serveTls }) } }),
  };
}

/** The relay listener's TLS files, checked as `tidaldb leader` checks its own: a usage error (exit 2) when they do not fit. */
function serveTlsOf(f: FollowerFlags): LeaderTls | undefined {
  const given = Object.entries({ cert: f.serveTlsCert, key: f.serveTlsKey, ca: f.serveTlsCa }).filter(([, file]) => file !== undefined);
  if ((given.length > 0 || f.serveInsecure) && !f.serve) throw new CliError(ExitCode.Usage, 'follower: --serve-insecure and --serve-tls-* are for --serve HOST:PORT');
  if (given.length === 0) return undefined;
  const tls: LeaderTls = Object.fromEntries(given);
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new CliError(ExitCode.Usage, 'follower: --serve-tls-cert and --serve-tls-key go together');
  if (tls.ca !== undefined && tls.cert === undefined) throw new CliError(ExitCode.Usage, 'follower: --serve-tls-ca (require client certificates) needs --serve-tls-cert and --serve-tls-key');
  return tls;
}
