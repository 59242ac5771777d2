/**
 * `tidaldb follower`: a standalone, persisted replica. Opens a FollowerDb
 * on a directory, connects to a leader over TCP (or reads its stream on NATS
 * JetStream with --nats, followerNats.ts), replays what it ships, and
 * prints one status line per second until SIGINT or SIGTERM: for a person,
 * or with `--status-json` one JSON object a line for a plot or an alert
 * (stdout then holds only those lines; the other notices go to stderr).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { interval } from 'rxjs';
import { FollowerDb, prometheusRegistry, type TidalDb } from '../../src/index.js';
import { startFollower } from '../segmentReceiver.js';
import { MIN_TOKEN_BYTES } from '../transports/tcpDefaults.js';
import { type CliIo, CliError, type CliOutput, errorMessage, ExitCode, oneLine, reportError } from './cliIo.js';
import {
  type ConnectTransport, connectFailure, type FollowerLink, firstConnection, type LinkTls, linkEventLine, loadTcpTransport, reportLinkEvents,
} from './followerLink.js';
import { moveReplicaAside, replicaNextStep } from './followerRebuild.js';
import { type FollowerServeOptions, type FollowerServing, serveFollowers } from './followerServe.js';
import { type FollowerNatsOptions, natsAddress, openNatsLink } from './followerNats.js';
import { followerStatusJson } from './followerStatusJson.js';
import { followerStatusLine, type FollowerStatusView } from './followerStatusLine.js';
import { closeInOrder } from './closeInOrder.js';
import type { HostPort } from './parseHostPort.js';
import { type MetricsServer, serveMetrics } from './serveMetrics.js';

export interface FollowerRunOptions {
  readonly dir: string;
  /** The leader's replication address, over TCP; or `nats`. */
  readonly connect?: HostPort;
  /** Follow over NATS JetStream instead of `connect` (followerNats.ts); the token is then only for `serve`. */
  readonly nats?: FollowerNatsOptions;
  /** This follower's peer id, as the leader's follower set names it. */
  readonly peer: string;
  /** The shared secret the leader checks. Required. */
  readonly token: string | undefined;
  readonly tls?: LinkTls;
  readonly metrics?: HostPort;
  /** Print a status line this often, in ms. Default 1000. */
  readonly statusIntervalMs?: number;
  /** Status lines as JSON objects (followerStatusJson), and every other stdout notice on stderr, so stdout is NDJSON. */
  readonly statusJson?: boolean;
  /** Keep retrying when the first connection fails, instead of exiting 1. */
  readonly waitForLeader?: boolean;
  /** Move the replica's directory aside first, and rebuild it from the leader (its checkpoint, then the segments after it). */
  readonly rebuild?: boolean;
  /** Serve followers of its own over TCP, as a relay (followerServe.ts, docs/cascading.md). */
  readonly serve?: FollowerServeOptions;
}

export interface FollowerRunContext {
  /** Aborting it stops the follower and closes everything (SIGINT/SIGTERM in the CLI). */
  readonly signal: AbortSignal;
  /** Where the transport comes from. Default: TcpTransport, loaded when the command runs. */
  readonly loadConnect?: () => Promise<ConnectTransport>;
}

/** 1 s: one status line per second is what a person can read as it scrolls. */
export const DEFAULT_STATUS_INTERVAL_MS = 1000;

/** What runFollower opened, closed in reverse order. */
interface Opened {
  db: TidalDb | null;
  link: FollowerLink | null;
  server: MetricsServer | null;
  serving: FollowerServing | null;
}

/**
 * Runs a follower until `context.signal` aborts, then stops it and closes
 * the transport, the metrics server and the database.
 *
 * @returns 0 after a clean stop; 1 when the replica cannot be opened, the
 * leader cannot be reached (or refuses) at start, or closing fails; 2 for
 * a bad dir, a missing token, or no TcpTransport in this build.
 */
export async function runFollower(options: FollowerRunOptions, io: CliIo, context: FollowerRunContext): Promise<ExitCode> {
  const opened: Opened = { db: null, link: null, server: null, serving: null };
  try {
    if (!options.connect === !options.nats) throw new CliError(ExitCode.Usage, 'follower: give --connect HOST:PORT (over TCP) or --nats URL (over JetStream), one of them');
    const token = options.nats && !options.serve ? '' : checkedToken(options.token);
    await requireReplicaDir(options.dir);
    const connect = await (context.loadConnect ?? loadTcpTransport)();
    const notices = options.statusJson ? io.err : io.out;
    if (options.rebuild) await rebuildFromScratch(options.dir, notices);
    const db = (opened.db = await openReplica(options.dir));
    const address = options.nats ? natsAddress(options.nats) : `${options.connect!.host}:${options.connect!.port}`;
    const link = (opened.link = await (options.nats ? openNatsLink(options.nats, options.peer, db)
      : connect({ ...options.connect!, peer: options.peer, token, db, ...(options.tls && { tls: options.tls }) })).catch((err: unknown) => {
      throw connectFailure(address, options.peer, err);
    }));
    if (options.metrics) {
      opened.server = await serveMetrics({ ...options.metrics, registry: prometheusRegistry(db) });
      notices.write(`serving metrics at http://${options.metrics.host}:${opened.server.port}/metrics\n`);
    }
    if (options.serve) opened.serving = await serveFollowers(db, options.serve, token, notices, io.err);
    notices.write(`follower ${JSON.stringify(options.peer)} of ${address}, replica ${options.dir} at seqno ${db.lastSeq}\n`);
    if (!options.waitForLeader) {
      const connected = await firstConnection(link, address, context.signal);
      if (connected) notices.write(`${linkEventLine(connected)}\n`);
    }
    await follow(db, link, options, io, context.signal);
  } catch (err) {
    const code = reportError(io, err);
    await shutDown(opened, io);
    return code;
  }
  return (await shutDown(opened, io)) ? ExitCode.Ok : ExitCode.Failure;
}

/** The token the leader checks: required, and at least MIN_TOKEN_BYTES. */
function checkedToken(token: string | undefined): string {
  if (!token) throw new CliError(ExitCode.Usage, 'follower: a token is required: pass --token-file, set TIDALDB_TOKEN, or pass --token');
  if (Buffer.byteLength(token) >= MIN_TOKEN_BYTES) return token;
  throw new CliError(ExitCode.Usage, `follower: the token is ${Buffer.byteLength(token)} bytes; at least ${MIN_TOKEN_BYTES} are required: `
    + 'use a random secret (e.g. `openssl rand -hex 16`)');
}

/** Replays and prints status until `signal` aborts. */
async function follow(db: TidalDb, link: FollowerLink, options: FollowerRunOptions, io: CliIo, signal: AbortSignal): Promise<void> {
  const handle = startFollower({ db, transport: link, peer: options.peer });
  const events = reportLinkEvents(link, options.statusJson ? { out: io.err, err: io.err } : io);
  const rejections = handle.rejected$.subscribe((r) => {
    const what = r.kind === 'checkpoint' ? `checkpoint at seqno ${r.lastSeq}` : `segment ${r.segmentId} (seqnos ${r.firstSeq}..${r.lastSeq})`;
    io.err.write(`warning: ${what} rejected: ${oneLine(errorMessage(r.error))}\n`);
  });
  let connected = true; // a link that cannot tell (no connected$) counts as connected
  const link$ = link.connected$?.subscribe((up) => (connected = up));
  const line = options.statusJson
    ? (v: FollowerStatusView): string => followerStatusJson(v, options.peer)
    : followerStatusLine;
  const status = interval(options.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS).subscribe(() => io.out.write(`${line(statusView(db, connected))}\n`));
  try {
    await aborted(signal);
  } finally {
    status.unsubscribe();
    link$?.unsubscribe();
    rejections.unsubscribe();
    events.unsubscribe();
    handle.stop();
  }
}

/** What the replica knows now, for followerStatusLine or followerStatusJson. */
function statusView(db: TidalDb, connected: boolean, nowMs = Date.now()): FollowerStatusView {
  const stalenessMs = db.stalenessMs();
  // The leader has announced a position once it is above 0, or once this replica caught up to one (staleness is then finite).
  const leaderSeq = db.knownLeaderSeq > 0 || Number.isFinite(stalenessMs) ? db.knownLeaderSeq : null;
  return { nowMs, appliedSeq: db.lastSeq, leaderSeq, stalenessMs, connected };
}

/** `--rebuild`: moves the old replica aside (never deletes it) and says where. */
async function rebuildFromScratch(dir: string, out: CliOutput): Promise<void> {
  const moved = await moveReplicaAside(dir);
  if (moved) out.write(`rebuild: moved the old replica aside to ${moved.to} (kept; remove it once the rebuilt replica checks out with tidaldb verify)\n`);
  out.write(`rebuild: ${dir} starts empty; the leader sends its latest checkpoint (if it no longer holds every segment), then the segments after it\n`);
}

/** Opens the replica; one that cannot be opened is a failure naming the directory, with the next step when a rebuild would help. */
async function openReplica(dir: string): Promise<TidalDb> {
  try {
    return await FollowerDb.open({ dir });
  } catch (err) {
    const next = replicaNextStep(dir, err);
    throw new CliError(ExitCode.Failure, `follower: cannot open the replica in ${dir}: ${oneLine(errorMessage(err))}${next ? `; ${next}` : ''}`, { cause: err });
  }
}

/** Closes what was opened, last first; reports each failure on its own line. True when all closed cleanly. */
async function shutDown(opened: Opened, io: CliIo): Promise<boolean> {
  const { server, link, db, serving } = opened;
  return closeInOrder('follower', [
    ['relay', serving ? () => serving.close() : null],
    ['metrics server', server ? () => server.close() : null],
    ['transport', link ? () => link.close() : null],
    ['database', db ? () => db.close() : null],
  ], io);
}

/** The replica's directory may be missing (it is created) but not a file, and its parent must exist. */
async function requireReplicaDir(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat && !stat.isDirectory()) throw new CliError(ExitCode.Usage, `follower: --dir ${dir}: not a directory`);
  if (stat) return;
  const parent = path.dirname(path.resolve(dir));
  if (!(await fs.stat(parent).catch(() => null))?.isDirectory()) {
    throw new CliError(ExitCode.Usage, `follower: --dir ${dir}: its parent directory ${parent} does not exist`);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
