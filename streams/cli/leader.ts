/**
 * `tidaldb leader`: a leader database served to followers over TCP (or
 * through NATS JetStream with --nats: leaderEnd.ts). Opens (and locks) a
 * directory, listens (or opens its stream), ships its WAL to the follower set,
 * optionally ingests NDJSON from a file or stdin, and prints one status
 * line per second until SIGINT or SIGTERM.
 */
import type { Readable } from 'node:stream';
import {
  defer, EMPTY, filter, firstValueFrom, fromEvent, interval, map, merge, type Observable, of, type Subscription, take,
} from 'rxjs';
import { prometheusRegistry, type TidalDb } from '../../src/index.js';
import { type LeaderHandle, startLeader } from '../startLeader.js';
import { type CliIo, CliError, errorMessage, ExitCode, oneLine, reportError } from './cliIo.js';
import { count, plural } from './formatTable.js';
import { MAX_REPORTED_BAD_LINES } from './ingestLimits.js';
import { ingestNdjson, type IngestSummary } from './ingestNdjson.js';
import { closeInOrder } from './closeInOrder.js';
import { type LeaderEnd, openLeaderEnd } from './leaderEnd.js';
import { openIngest, openLeaderDb, requireDbDir } from './leaderOpen.js';
import { checkLeaderOptions, type LeaderRunOptions } from './leaderOptions.js';
import { type FollowerStatusView, leaderStatusLine } from './leaderStatusLine.js';
import { type MetricsServer, serveMetrics } from './serveMetrics.js';

export type { LeaderRunOptions } from './leaderOptions.js';

/** 1 s: one status line per second is what a person can read as it scrolls. */
export const DEFAULT_LEADER_STATUS_INTERVAL_MS = 1000;

export interface LeaderRunContext {
  /** Aborting it stops the leader and closes everything (SIGINT/SIGTERM in the CLI). */
  readonly signal: AbortSignal;
  /** What `--ingest -` reads. Default process.stdin. */
  readonly stdin?: Readable;
}

/** What runLeader opened, closed in reverse order. */
interface Opened {
  input: Readable | null;
  db: TidalDb | null;
  end: LeaderEnd | null;
  server: MetricsServer | null;
  handle: LeaderHandle | null;
}

/** What a running leader works with. */
interface Serving {
  readonly db: TidalDb;
  readonly handle: LeaderHandle;
  readonly end: LeaderEnd;
  readonly input: Readable | null;
}

/**
 * Runs a leader until `context.signal` aborts (or, with `exitWhenSynced`,
 * until every follower holds everything), then stops shipping and closes
 * the listener, the metrics server and the database (which checkpoints and
 * releases the directory's lock).
 *
 * @returns 0 after a clean stop; 1 when the directory cannot be opened
 * (locked by another process, corrupt), the port cannot be bound, a
 * `--strict` ingest met a bad line, a write failed, or closing failed; 2
 * for bad usage (a missing token or follower, a missing `--ingest` file).
 */
export async function runLeader(options: LeaderRunOptions, io: CliIo, context: LeaderRunContext): Promise<ExitCode> {
  const opened: Opened = { input: null, db: null, end: null, server: null, handle: null };
  let code: ExitCode;
  try {
    const token = checkLeaderOptions(options);
    await requireDbDir(options.dir);
    opened.input = await openIngest(options.ingest, context.stdin ?? process.stdin);
    const db = (opened.db = await openLeaderDb(options));
    const end = (opened.end = await openLeaderEnd(options, token, db));
    for (const warning of end.warnings) io.err.write(`warning: ${warning}\n`);
    if (options.metrics) {
      opened.server = await serveMetrics({ ...options.metrics, registry: prometheusRegistry(db) });
      io.out.write(`serving metrics at http://${options.metrics.host}:${opened.server.port}/metrics\n`);
    }
    const followers = options.followers.map((f) => JSON.stringify(f)).join(', ');
    io.out.write(`leader of ${options.dir} at seqno ${db.lastSeq}, ${end.where} for ${followers}\n`);
    const handle = (opened.handle = startLeader({ db, transport: end.transport, followers: options.followers, shipIntervalMs: options.shipIntervalMs, shipOn: options.shipOn }));
    code = await serve({ db, handle, end, input: opened.input }, options, io, context.signal);
  } catch (err) {
    code = reportError(io, err);
  }
  const clean = await shutDown(opened, io);
  return clean ? code : ExitCode.Failure;
}

/** Reports, ingests and waits; the exit code of the run (1 when a strict ingest stopped at a bad line or the pipeline failed). */
async function serve(serving: Serving, options: LeaderRunOptions, io: CliIo, signal: AbortSignal): Promise<ExitCode> {
  const { db, handle, end, input } = serving;
  const latest: { lag: Readonly<Record<string, FollowerStatusView>> } = { lag: {} };
  const statusEvery = options.statusIntervalMs ?? DEFAULT_LEADER_STATUS_INTERVAL_MS;
  const subscriptions: Subscription[] = [
    handle.lag$.subscribe((lag) => (latest.lag = lag)),
    interval(statusEvery).subscribe(() => {
      io.out.write(`${leaderStatusLine({ nowMs: Date.now(), leaderSeq: db.lastSeq, followers: options.followers, lag: latest.lag })}\n`);
    }),
    end.report(io, options.followers),
    handle.rejected$.subscribe((r) => {
      const what = r.peer === '*' ? 'the leader pipeline' : `shipping to ${JSON.stringify(r.peer)}`;
      io.err.write(`warning: ${what} failed: ${oneLine(errorMessage(r.error))}\n`);
    }),
  ];
  const stopInput = (): void => void input?.destroy();
  signal.addEventListener('abort', stopInput, { once: true });
  try {
    if (input && options.ingest !== undefined) {
      const summary = await ingest(db, input, options, io, signal);
      if (summary.stoppedAt) return ExitCode.Failure;
    }
    const end = await firstValueFrom(merge(
      signalled(signal),
      options.exitWhenSynced ? handle.lag$.pipe(filter((lag) => holdsAll(lag, db.lastSeq, options.followers)), map((): RunEnd => ({ kind: 'synced' }))) : EMPTY,
      handle.error$.pipe(map((error): RunEnd => ({ kind: 'failed', error }))),
    ));
    if (end.kind === 'failed') throw new CliError(ExitCode.Failure, `leader: the replication pipeline failed: ${oneLine(errorMessage(end.error))}`, { cause: end.error });
    if (end.kind === 'synced') io.out.write(`every follower holds seqno ${count(db.lastSeq)}; exiting (--exit-when-synced)\n`);
    return ExitCode.Ok;
  } finally {
    signal.removeEventListener('abort', stopInput);
    for (const s of subscriptions) s.unsubscribe();
  }
}

/** Why a run ends: SIGINT/SIGTERM, every follower synced (--exit-when-synced), or a fatal pipeline error. */
type RunEnd = { readonly kind: 'signalled' } | { readonly kind: 'synced' } | { readonly kind: 'failed'; readonly error: unknown };

/** Emits once `signal` aborts (at once if it already has). */
function signalled(signal: AbortSignal): Observable<RunEnd> {
  const end: RunEnd = { kind: 'signalled' };
  return defer(() => (signal.aborted ? of(end) : fromEvent(signal, 'abort').pipe(take(1), map(() => end))));
}


type AckedSeqs = Readonly<Record<string, { readonly appliedSeq?: number; readonly state?: string } | undefined>>;

/**
 * True when every follower in the set has acknowledged `leaderSeq` (and,
 * where the report has states, is streaming: a follower never heard from is
 * not synced even when the leader holds nothing).
 */
export function holdsAll(lag: AckedSeqs, leaderSeq: number, followers: readonly string[]): boolean {
  return followers.every((peer) => {
    const entry = lag[peer];
    return entry !== undefined && (entry.appliedSeq ?? -1) >= leaderSeq && (entry.state === undefined || entry.state === 'streaming');
  });
}

/** Runs the ingest and prints what it did: bad lines on stderr (the first MAX_REPORTED_BAD_LINES), the summary on stdout. */
async function ingest(db: TidalDb, input: Readable, options: LeaderRunOptions, io: CliIo, signal: AbortSignal): Promise<IngestSummary> {
  const source = options.ingest === '-' ? 'stdin' : options.ingest!;
  let reported = 0;
  const onBadLine = (lineNo: number, problem: string): void => {
    if (++reported <= MAX_REPORTED_BAD_LINES) io.err.write(`warning: ingest ${source} line ${lineNo}: ${oneLine(problem)}; skipped\n`);
    if (reported === MAX_REPORTED_BAD_LINES + 1) io.err.write(`warning: ingest ${source}: over ${MAX_REPORTED_BAD_LINES} bad lines; the rest are counted, not shown\n`);
  };
  const summary = await ingestNdjson(db, input, { strict: options.strict === true, signal, onBadLine }).catch((err: unknown) => {
    throw new CliError(ExitCode.Failure, `leader: ingest ${source} failed: ${oneLine(errorMessage(err))}`, { cause: err });
  });
  const { lines, written, skipped, stoppedAt } = summary;
  if (stoppedAt) {
    io.err.write(`error: leader: ingest ${source} line ${stoppedAt.lineNo}: ${oneLine(stoppedAt.problem)}; stopped there (--strict), `
      + `${plural(written, 'write')} before it ${written === 1 ? 'is' : 'are'} durable (leader seqno ${count(db.lastSeq)})\n`);
    return summary;
  }
  const how = summary.interrupted ? `interrupted after line ${count(lines)}` : `done, ${count(lines)} lines`;
  const then = summary.interrupted ? '' : options.exitWhenSynced ? '; exiting once every follower has it' : '; serving until SIGINT or SIGTERM';
  io.out.write(`ingest ${source} ${how}: ${count(written)} written, ${plural(skipped, 'bad line')} skipped; leader seqno ${count(db.lastSeq)}${then}\n`);
  return summary;
}

/** Closes what was opened, last first; reports each failure on its own line. True when all closed cleanly. */
async function shutDown(opened: Opened, io: CliIo): Promise<boolean> {
  const { handle, server, end, db, input } = opened;
  const clean = await closeInOrder('leader', [
    ['leader pipeline', handle ? () => handle.stop() : null],
    ['metrics server', server ? () => server.close() : null],
    ['listener', end ? () => end.close() : null],
    ['database', db ? () => db.close() : null],
  ], io);
  if (input && !input.destroyed) input.destroy();
  return clean;
}
