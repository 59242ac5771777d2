/**
 * `tidaldb follower --nats URL`: the follower reads its leader's segments
 * from NATS JetStream (docs/jetstream.md) instead of the leader's TCP port.
 * The link is `JetStreamTransport.follower`, its `state$` and `events$` in
 * the CLI's terms (connected$, LinkEvent), so the status line, `--wait-for-leader`
 * and the first-connection check work as over TCP. No tidaldb token: who
 * may read the stream is the NATS server's authorization.
 */
import { type Command, Option } from 'commander';
import { filter, map, type Observable, take } from 'rxjs';
import type { TidalDb } from '../../src/index.js';
import type { JetStreamTransportEvent } from '../transports/jetStreamOptions.js';
import { JetStreamTransport } from '../transports/jetStreamTransport.js';
import { checkStreamName, checkSubjectPrefix } from '../transports/jetStreamSubjects.js';
import { CliError, errorMessage, ExitCode } from './cliIo.js';
import type { FollowerLink, LinkEvent } from './followerLink.js';

/** Where the leader's shard is on NATS. */
export interface FollowerNatsOptions {
  /** One or more server URLs, e.g. ['nats://nats-1:4222', 'nats://nats-2:4222']. */
  readonly servers: readonly string[];
  /** The shard's stream. Default 'tidaldb-shard-<shard>'. */
  readonly stream?: string;
  /** The subjects' first token(s). Default 'tidaldb'. */
  readonly subjectPrefix?: string;
}

/** The flags as commander parses them. */
export interface NatsFlags {
  nats?: string;
  natsStream?: string;
  natsSubjectPrefix?: string;
}

/** Adds --nats, --nats-stream and --nats-subject-prefix to the follower command. */
export function natsOptions(command: Command): Command {
  return command
    .addOption(new Option('--nats <urls>', 'follow over NATS JetStream at these server URLs (comma-separated) instead of --connect; '
      + 'no token: the NATS server authorizes who reads the stream').conflicts('connect'))
    .addOption(new Option('--nats-stream <name>', 'the shard\'s JetStream stream, as the leader names it (default tidaldb-shard-<shard>)'))
    .addOption(new Option('--nats-subject-prefix <prefix>', 'the subjects\' prefix, as the leader names it (default tidaldb)'));
}

/**
 * The options from the flags; undefined without --nats. A server that is not
 * a NATS URL, or a stream or prefix NATS would refuse, is a usage error
 * (exit 2) naming the flag: no retry can fix it, and a leader would retry it
 * for ever.
 */
export function natsFromFlags(f: NatsFlags, command: 'leader' | 'follower'): FollowerNatsOptions | undefined {
  if (f.nats === undefined) return undefined;
  const servers = f.nats.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const usage = (what: string): CliError => new CliError(ExitCode.Usage, `${command}: ${what}`);
  for (const server of servers) {
    const problem = natsServerProblem(server);
    if (problem !== null) throw usage(`--nats ${JSON.stringify(server)}: ${problem}`);
  }
  const checked = (flag: string, value: string | undefined, check: (v: string) => string): void => {
    if (value === undefined) return;
    try {
      check(value);
    } catch (err) {
      throw usage(`${flag}: ${errorMessage(err)}`);
    }
  };
  checked('--nats-stream', f.natsStream, checkStreamName);
  checked('--nats-subject-prefix', f.natsSubjectPrefix, checkSubjectPrefix);
  return { servers, ...(f.natsStream !== undefined && { stream: f.natsStream }), ...(f.natsSubjectPrefix !== undefined && { subjectPrefix: f.natsSubjectPrefix }) };
}

/** Why `server` is not a NATS server address (`nats://HOST:PORT`, `tls://HOST:PORT`, or `HOST[:PORT]`), or null. */
export function natsServerProblem(server: string): string | null {
  let url: URL;
  try {
    url = new URL(server.includes('://') ? server : `nats://${server}`);
  } catch {
    return 'not a server address: give nats://HOST:PORT';
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') return `the scheme ${url.protocol}// is not nats:// or tls://`;
  if (url.hostname === '') return 'no host: give nats://HOST:PORT';
  return null;
}

/** The servers as one string, for notices and errors. */
export function natsAddress(nats: FollowerNatsOptions): string {
  return nats.servers.join(',');
}

/** Opens the JetStream follower end (it resolves even while NATS is down, and retries) as a FollowerLink. */
export async function openNatsLink(nats: FollowerNatsOptions, peer: string, db: TidalDb): Promise<FollowerLink> {
  const end = await JetStreamTransport.follower({ servers: [...nats.servers], db, peer, stream: nats.stream, subjectPrefix: nats.subjectPrefix });
  const address = natsAddress(nats);
  const events$: Observable<LinkEvent> = end.events$.pipe(
    filter((e): e is Extract<JetStreamTransportEvent, { kind: 'connected' | 'closed' | 'reconnecting' }> =>
      e.kind === 'connected' || e.kind === 'closed' || e.kind === 'reconnecting'),
    map((e): LinkEvent => (e.kind === 'connected' ? { kind: 'connected', remote: e.server }
      : e.kind === 'closed' ? { kind: 'closed', remote: address, reason: e.reason, ...(e.error && { error: e.error }) } : e)),
  );
  // The end resolves once its first session is up or has failed in a way a retry may fix; its events so far are gone, its state is not.
  let state = 'connecting';
  end.state$.pipe(take(1)).subscribe((s) => (state = s));
  const firstAttempt: LinkEvent = state === 'connected' ? { kind: 'connected', remote: address } : {
    kind: 'closed', remote: address,
    reason: `no JetStream session: NATS is down or unreachable, or the stream is not there yet (has the leader started?); the follower retries with --wait-for-leader`,
  };
  return {
    firstAttempt,
    recvSegment: (p) => end.recvSegment(p),
    receive$: (p) => end.receive$(p),
    segments: (p) => end.segments(p),
    sendFeedback: (f) => end.sendFeedback(f),
    status: (p) => end.status(p),
    close: () => end.close(),
    events$,
    connected$: end.state$.pipe(map((s) => s === 'connected')),
  };
}
