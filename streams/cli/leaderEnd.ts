/**
 * Where `tidaldb leader` ships: its TCP listener (`--listen`), or its end
 * of a NATS JetStream stream (`--nats`, docs/jetstream.md). Either is a
 * LeaderTransport for startLeader, with what the command prints about it:
 * the first line's "where", warnings at start, and its connection events.
 */
import assert from 'node:assert/strict';
import { type Subscription, take } from 'rxjs';
import type { TidalDb } from '../../src/index.js';
import type { LeaderTransport } from '../transport.js';
import type { JetStreamTransportEvent } from '../transports/jetStreamOptions.js';
import { JetStreamTransport } from '../transports/jetStreamTransport.js';
import type { TcpTransportEvent } from '../transports/tcpTransport.js';
import { type CliIo, CliError, errorMessage, ExitCode, oneLine } from './cliIo.js';
import { natsAddress } from './followerNats.js';
import { listenForFollowers } from './leaderOpen.js';
import type { LeaderRunOptions } from './leaderOptions.js';

export interface LeaderEnd {
  readonly transport: LeaderTransport;
  /** For the first line: "listening on HOST:PORT" or "publishing to NATS stream S at URLs". */
  readonly where: string;
  /** Printed on stderr at start (listening off loopback with --insecure). */
  readonly warnings: readonly string[];
  /** Reports connections as they happen: arrivals on stdout, losses and refusals on stderr. */
  report(io: CliIo, followers: readonly string[]): Subscription;
  close(): Promise<void>;
}

/**
 * Binds `--listen` or opens the JetStream end of `--nats`; a failure is a
 * `Failure` naming the address. NATS down at start is not one: the end
 * retries, with a warning.
 */
export async function openLeaderEnd(options: LeaderRunOptions, token: string, db: TidalDb): Promise<LeaderEnd> {
  if (options.nats) return openNatsEnd(options.nats, db);
  const { listen } = options;
  assert(listen !== undefined, 'checkLeaderOptions: --listen or --nats');
  const listener = await listenForFollowers({ ...options, listen }, token, db);
  return {
    transport: listener, where: `listening on ${listener.host}:${listener.port}`, warnings: listener.warnings,
    report: (io, followers) => listener.events$.subscribe((e) => reportConnection(e, followers, io)),
    close: () => listener.close(),
  };
}

/** The JetStream end: it creates or updates the shard's stream, and resolves once its first session is up. */
async function openNatsEnd(nats: NonNullable<LeaderRunOptions['nats']>, db: TidalDb): Promise<LeaderEnd> {
  const address = natsAddress(nats);
  const end = await JetStreamTransport.leader({ servers: [...nats.servers], db, stream: nats.stream, subjectPrefix: nats.subjectPrefix }).catch((err: unknown) => {
    throw new CliError(ExitCode.Failure, `leader: cannot publish to NATS at ${address}: ${oneLine(errorMessage(err))}`, { cause: err });
  });
  // The end resolves once its first session is up, or failed in a way a retry may fix: then it goes on retrying, and the
  // leader keeps taking writes (its log is the source of truth) and ships them once NATS is back.
  let state = 'connecting';
  end.state$.pipe(take(1)).subscribe((s) => (state = s));
  const warnings = state === 'connected' ? [] : [`no JetStream session at ${address} yet (NATS down or unreachable): writes are kept, and shipped once it is reached`];
  return {
    transport: end, where: `publishing to NATS stream ${end.stream} at ${address}`, warnings,
    report: (io) => end.events$.subscribe((e) => reportNatsEvent(e, io)),
    close: () => end.close(),
  };
}

/** A follower connecting on stdout; losses and refusals on stderr, and a connection from a peer not in the set. */
function reportConnection(e: TcpTransportEvent, followers: readonly string[], io: CliIo): void {
  if (e.kind === 'connected') {
    io.out.write(`follower ${JSON.stringify(e.peer)} connected from ${e.remote}\n`);
    if (!followers.includes(e.peer)) {
      io.err.write(`warning: follower ${JSON.stringify(e.peer)} is not in the follower set (--follower), so it is shipped nothing: add --follower ${e.peer} or fix its --peer\n`);
    }
  } else if (e.kind === 'closed') {
    const who = e.peer === null ? `connection from ${e.remote}` : `follower ${JSON.stringify(e.peer)} (${e.remote})`;
    io.err.write(`warning: ${who} closed: ${oneLine(e.error ? errorMessage(e.error) : e.reason)}\n`);
  }
}

/** The NATS session: up on stdout; lost, fenced or a refused message on stderr (followers show in the status line, by their acks). */
function reportNatsEvent(e: JetStreamTransportEvent, io: CliIo): void {
  if (e.kind === 'connected') io.out.write(`connected to NATS at ${e.server}\n`);
  else if (e.kind === 'closed') io.err.write(`warning: NATS session closed: ${oneLine(e.error ? errorMessage(e.error) : e.reason)}; reconnecting\n`);
  else if (e.kind === 'fenced') io.err.write(`warning: ${oneLine(errorMessage(e.error))}\n`);
  else if (e.kind === 'refused') io.err.write(`warning: refused a ${e.what} message: ${oneLine(errorMessage(e.error))}\n`);
}
