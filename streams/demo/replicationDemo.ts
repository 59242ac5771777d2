/**
 * The seed's scenario as a demo a person can watch: a leader and followers
 * in one process over an InProcessTransport, signals written in bursts, the
 * lag shown as it converges, then the leader's and followers' `retrieve`
 * results side by side and a verdict.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { filter, firstValueFrom, interval, map, merge, type Observable, of, scan, timeout } from 'rxjs';
import { FollowerDb, type Scored, TidalDb, TidalError } from '../../src/index.js';
import type { LagReport } from '../replicationLag.js';
import { type FollowerHandle, startFollower } from '../segmentReceiver.js';
import { InProcessTransport } from '../transports/inProcessTransport.js';
import { type LeaderHandle, startLeader } from '../startLeader.js';
import { demoWorkload, type DemoWorkload } from './demoWorkload.js';
import { LagProgress, PLAIN_INTERVAL_MS, TTY_INTERVAL_MS } from './lagProgress.js';
import type { LagPlotSample } from './lagPlotSample.js';
import { emptyLagRecording, LAG_SAMPLE_INTERVAL_MS, type LagRecordingInput, lagRecordingStep } from './lagRecording.js';
import { lagSvg } from './lagSvg.js';
import { savedLagSvgLine, saveLagSvg } from './saveLagSvg.js';
import { printComparison } from './printComparison.js';
import { formatCount as count } from '../internal/formatCount.js';

export interface ReplicationDemoOptions {
  /** Followers to start, 1..16. Default 2. */
  readonly followers?: number;
  /** Signals to write to the leader. Default 10,000 (the seed's). */
  readonly signals?: number;
  /** Items to write before the signals. Default 500. */
  readonly items?: number;
  /** The leader seals and ships this often, in ms. Default 200, so the lag visibly converges over a second or two. */
  readonly shipIntervalMs?: number;
  /** Where the demo prints. Default process.stdout. */
  readonly out?: NodeJS.WritableStream;
  /** Redraw the lag lines in place. Default: whether `out` is a terminal. */
  readonly isTTY?: boolean;
  /**
   * Write an SVG plot of every follower's lag over time (events and ms, by
   * stage) to this file, relative to the working directory, and print its
   * path. A file that cannot be written is printed as such; the demo goes
   * on. Default: no plot (`npm start` passes `tidaldb-lag.svg`).
   */
  readonly lagSvgPath?: string;
  /**
   * Called once the nodes are up, before any write, with the databases (e.g.
   * to serve the leader's metrics); what it returns is awaited when the demo
   * ends, before the databases close.
   */
  readonly onStart?: (nodes: { readonly leaderDb: TidalDb; readonly followerDbs: readonly TidalDb[] }) => Promise<() => Promise<void>> | void;
}

export interface DemoResult {
  /** Every follower reported the leader's last seqno applied within {@link CONVERGE_TIMEOUT_MS}. */
  readonly converged: boolean;
  /** ms from the last write until every follower reported lag 0 (the time waited, when it did not converge). */
  readonly convergeMs: number;
  readonly leaderTop: Scored[];
  /** One list per follower, in peer order (f1, f2, …). */
  readonly followerTops: Scored[][];
  /** Every follower's retrieve and search results equal the leader's, ids and scores. */
  readonly match: boolean;
  /** The lag plot's absolute path once written; null when none was asked for or it could not be written. */
  readonly lagSvgPath: string | null;
}

/** 5 s: the seed's bound on replication lag. */
export const CONVERGE_TIMEOUT_MS = 5000;

/** Writes go in this many bursts, so the lag visibly rises and falls. */
export const DEMO_BURSTS = 5;

/** Pause between bursts, in ship intervals: 1.5 lets each burst ship and be acked before the next. */
const BURST_PAUSE_SHIP_INTERVALS = 1.5;

/** The lag plot goes on this long after the followers caught up, so it shows them settled at 0 rather than ending on the drop. */
const LAG_PLOT_TAIL_MS = 100;

interface Nodes {
  readonly leaderDb: TidalDb;
  readonly followerDbs: TidalDb[];
  readonly transport: InProcessTransport;
  readonly leader: LeaderHandle;
  readonly followers: FollowerHandle[];
  readonly peers: string[];
  /** Segments refused or failed on either side, as `peer: message`; replication goes on after each. */
  readonly rejections: string[];
}

/**
 * Runs the replication demo and resolves with what it found; everything it
 * started (timers, subscriptions, transport, databases) is stopped before
 * it resolves, so the process then exits on its own.
 *
 * Over time: header, then for ~1-2 s the lag of each follower (redrawn in
 * place on a terminal, a plain sample at most every 250 ms otherwise), then
 * with `lagSvgPath` the plot's path (or why it was not written), then the
 * retrieve table, one search, and a `PASS:`/`FAIL:` verdict line. The lag is
 * recorded for the plot every LAG_SAMPLE_INTERVAL_MS from the start of the
 * writes to LAG_PLOT_TAIL_MS after the followers caught up.
 *
 * @example
 * const result = await runReplicationDemo({ signals: 2000, isTTY: false });
 * // … PASS: followers match the leader (lag 0 after 187 ms)
 * result.converged && result.match; // true
 */
export async function runReplicationDemo(options: ReplicationDemoOptions = {}): Promise<DemoResult> {
  const followerCount = checkCount('followers', options.followers ?? 2, 1, 16);
  const signals = checkCount('signals', options.signals ?? 10_000, 0, 10_000_000);
  const items = checkCount('items', options.items ?? 500, 1, 1_000_000);
  const shipIntervalMs = checkCount('shipIntervalMs', options.shipIntervalMs ?? 200, 1, 60_000);
  const out = options.out ?? process.stdout;
  const isTTY = options.isTTY ?? isTerminal(out);
  const say = (line = ''): void => void out.write(`${line}\n`);
  const workload = demoWorkload(items, signals);
  const nodes = await startNodes(followerCount, shipIntervalMs);
  let onEnd: (() => Promise<void>) | void = undefined;
  try {
    onEnd = await options.onStart?.({ leaderDb: nodes.leaderDb, followerDbs: nodes.followerDbs });
    say(`tidaldb replication demo: 1 leader, ${followerCount} follower${followerCount === 1 ? '' : 's'} (${nodes.peers.join(', ')}) `
      + `over an in-process transport, sealing and shipping every ${shipIntervalMs} ms`);
    say(`writing ${count(items)} items, then ${count(signals)} signals in ${DEMO_BURSTS} bursts`);
    say();
    const tailMs = options.lagSvgPath === undefined ? 0 : LAG_PLOT_TAIL_MS;
    const { converged, convergeMs, report, lagSamples } = await writeAndWatch(nodes, workload, shipIntervalMs, { out, isTTY, tailMs });
    say();
    const title = `tidaldb demo: replication lag (${count(items + signals)} events, shipped every ${shipIntervalMs} ms)`;
    const lagSvgPath = options.lagSvgPath === undefined ? null : await writeLagPlot(options.lagSvgPath, lagSvg(lagSamples, { peers: nodes.peers, title }), say);
    return { ...printComparison(nodes, { converged, convergeMs, timeoutMs: CONVERGE_TIMEOUT_MS, report }, say), lagSvgPath };
  } finally {
    if (onEnd) await onEnd();
    await stopNodes(nodes);
  }
}

async function startNodes(followerCount: number, shipIntervalMs: number): Promise<Nodes> {
  const peers = Array.from({ length: followerCount }, (_, i) => `f${i + 1}`);
  const leaderDb = await TidalDb.open({ halfLifeMs: { view: 3_600_000, like: 6 * 3_600_000 } });
  const followerDbs = await Promise.all(peers.map(() => FollowerDb.open()));
  const transport = new InProcessTransport();
  const leader = startLeader({ db: leaderDb, transport, followers: peers, shipIntervalMs });
  const followers = peers.map((peer, i) => startFollower({ db: followerDbs[i]!, transport, peer }));
  const rejections: string[] = [];
  leader.rejected$.subscribe((f) => rejections.push(`leader → ${f.peer}: ${errorMessage(f.error)}`));
  followers.forEach((f, i) => f.rejected$.subscribe((r) => rejections.push(`${peers[i]}: segment ${r.segmentId}: ${errorMessage(r.error)}`)));
  return { leaderDb, followerDbs, transport, leader, followers, peers, rejections };
}

async function stopNodes(nodes: Nodes): Promise<void> {
  nodes.leader.stop();
  for (const f of nodes.followers) f.stop();
  nodes.transport.close();
  await nodes.leaderDb.close();
  await Promise.all(nodes.followerDbs.map((db) => db.close()));
}

/**
 * Writes the workload in bursts while drawing and recording the lag, then
 * waits (at most 5 s) for every follower to report lag 0, and records for
 * `tailMs` more.
 */
async function writeAndWatch(
  nodes: Nodes, workload: DemoWorkload, shipIntervalMs: number, { out, isTTY, tailMs }: { out: NodeJS.WritableStream; isTTY: boolean; tailMs: number },
): Promise<{ converged: boolean; convergeMs: number; report: LagReport; lagSamples: readonly LagPlotSample[] }> {
  const { leaderDb, leader, peers } = nodes;
  // A pseudo-terminal may report 0 columns (unknown): assume the classic 80.
  const columns = 'columns' in out && typeof out.columns === 'number' && out.columns > 0 ? out.columns : 80;
  const progress = new LagProgress({ out, isTTY, peers, targetSeq: workload.items.length + workload.signals.length, columns });
  let report: LagReport = {};
  const drawing = merge(leader.lag$, interval(isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)).subscribe((r) => {
    if (typeof r !== 'number') report = r;
    progress.update(report, leaderDb.lastSeq);
  });
  const sampleNow = (): LagRecordingInput => ({ kind: 'sample', leaderSeq: leaderDb.lastSeq, atMs: performance.now() });
  let recording = emptyLagRecording(performance.now());
  const recorder = merge(
    leader.lag$.pipe(map((r): LagRecordingInput => ({ kind: 'report', report: r, leaderSeq: leaderDb.lastSeq, atMs: performance.now() }))),
    interval(LAG_SAMPLE_INTERVAL_MS).pipe(map(sampleNow)),
  ).pipe(scan(lagRecordingStep, recording)).subscribe((r) => (recording = r));
  try {
    // Nothing ships to a follower before its first ack says where it stands: let every follower check in first.
    await caughtUp(leader.lag$, peers, 0, CONVERGE_TIMEOUT_MS);
    for (const item of workload.items) await leaderDb.writeItem(item);
    const burstSize = Math.ceil(workload.signals.length / DEMO_BURSTS);
    for (let start = 0; start < workload.signals.length; start += burstSize) {
      if (start > 0) await sleep(shipIntervalMs * BURST_PAUSE_SHIP_INTERVALS);
      for (const signal of workload.signals.slice(start, start + burstSize)) await leaderDb.signal(signal);
      progress.update(report, leaderDb.lastSeq);
    }
    const writtenAtMs = performance.now();
    const converged = await caughtUp(leader.lag$, peers, leaderDb.lastSeq, CONVERGE_TIMEOUT_MS);
    const convergeMs = Math.round(performance.now() - writtenAtMs);
    progress.finish(report, leaderDb.lastSeq);
    if (tailMs > 0) await sleep(tailMs);
    recorder.unsubscribe();
    // The last sample is the state the verdict reads: lag 0 everywhere when it converged.
    recording = lagRecordingStep(lagRecordingStep(recording, { ...sampleNow(), kind: 'report', report }), sampleNow());
    return { converged, convergeMs, report, lagSamples: recording.samples };
  } finally {
    recorder.unsubscribe();
    drawing.unsubscribe();
  }
}

/** Writes the lag plot to `file`, printing where (or why not); the path written, or null. */
async function writeLagPlot(file: string, svg: string, say: (line?: string) => void): Promise<string | null> {
  const saved = await saveLagSvg(file, svg);
  say(savedLagSvgLine(saved));
  say();
  return saved.written ? saved.path : null;
}

/** Resolves true once every peer reports `seq` applied (lag 0), false after `timeoutMs`. */
function caughtUp(lag$: Observable<LagReport>, peers: readonly string[], seq: number, timeoutMs: number): Promise<boolean> {
  const done = (r: LagReport): boolean => peers.every((p) => r[p] !== undefined && r[p].appliedSeq >= seq && r[p].events === 0);
  return firstValueFrom(
    lag$.pipe(filter(done), map(() => true), timeout({ first: timeoutMs, with: () => of(false) })),
    { defaultValue: false },
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isTerminal(out: NodeJS.WritableStream): boolean {
  return 'isTTY' in out && out.isTTY === true;
}

function checkCount(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TidalError('InvalidInput', `${field} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

