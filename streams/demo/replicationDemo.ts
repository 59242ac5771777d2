/**
 * The seed's scenario as a demo a person can watch: a leader and followers
 * in one process over an InProcessTransport, signals written in bursts, the
 * lag shown as it converges, then the leader's and followers' `retrieve`
 * results side by side and a verdict.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { filter, firstValueFrom, interval, map, merge, type Observable, of, timeout } from 'rxjs';
import { FollowerDb, type Scored, TidalDb, TidalError } from '../../src/index.js';
import type { LagReport } from '../replicationLag.js';
import { type FollowerHandle, startFollower } from '../segmentReceiver.js';
import { InProcessTransport } from '../transports/inProcessTransport.js';
import { type LeaderHandle, startLeader } from '../walShipper.js';
import { DEMO_QUERY_AT_MS, demoWorkload, type DemoWorkload } from './demoWorkload.js';
import { LagProgress, PLAIN_INTERVAL_MS, TTY_INTERVAL_MS } from './lagProgress.js';
import { sameScored, scoreTable } from './scoreTable.js';
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
}

/** 5 s: the seed's bound on replication lag. */
export const CONVERGE_TIMEOUT_MS = 5000;

/** Writes go in this many bursts, so the lag visibly rises and falls. */
export const DEMO_BURSTS = 5;

/** Pause between bursts, in ship intervals: 1.5 lets each burst ship and be acked before the next. */
const BURST_PAUSE_SHIP_INTERVALS = 1.5;

/** The text searched on the first follower: ~1 in 10 demo titles hold it. */
const SEARCH_TEXT = 'river';

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
 * the retrieve table, one search, and a `PASS:`/`FAIL:` verdict line.
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
    const { converged, convergeMs, report } = await writeAndWatch(nodes, workload, shipIntervalMs, out, isTTY);
    say();
    return printComparison(nodes, converged, convergeMs, report, say);
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

/** Writes the workload in bursts while drawing the lag, then waits (at most 5 s) for every follower to report lag 0. */
async function writeAndWatch(
  nodes: Nodes, workload: DemoWorkload, shipIntervalMs: number, out: NodeJS.WritableStream, isTTY: boolean,
): Promise<{ converged: boolean; convergeMs: number; report: LagReport }> {
  const { leaderDb, leader, peers } = nodes;
  // A pseudo-terminal may report 0 columns (unknown): assume the classic 80.
  const columns = 'columns' in out && typeof out.columns === 'number' && out.columns > 0 ? out.columns : 80;
  const progress = new LagProgress({ out, isTTY, peers, targetSeq: workload.items.length + workload.signals.length, columns });
  let report: LagReport = {};
  const drawing = merge(leader.lag$, interval(isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)).subscribe((r) => {
    if (typeof r !== 'number') report = r;
    progress.update(report, leaderDb.lastSeq);
  });
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
    return { converged, convergeMs, report };
  } finally {
    drawing.unsubscribe();
  }
}

/** Resolves true once every peer reports `seq` applied (lag 0), false after `timeoutMs`. */
function caughtUp(lag$: Observable<LagReport>, peers: readonly string[], seq: number, timeoutMs: number): Promise<boolean> {
  const done = (r: LagReport): boolean => peers.every((p) => r[p] !== undefined && r[p].appliedSeq >= seq && r[p].events === 0);
  return firstValueFrom(
    lag$.pipe(filter(done), map(() => true), timeout({ first: timeoutMs, with: () => of(false) })),
    { defaultValue: false },
  );
}

/** Prints the retrieve table, one search and the verdict; returns the demo's result. */
function printComparison(
  nodes: Nodes, converged: boolean, convergeMs: number, report: LagReport, say: (line?: string) => void,
): DemoResult {
  const { leaderDb, followerDbs, peers } = nodes;
  const retrieveQuery = { signal: 'view', limit: 10, at: DEMO_QUERY_AT_MS };
  const leaderTop = leaderDb.retrieve(retrieveQuery);
  const followerTops = followerDbs.map((db) => db.retrieve(retrieveQuery));
  say(`retrieve({ signal: 'view', limit: 10, at: ${new Date(DEMO_QUERY_AT_MS).toISOString()} })  `
    + `leader at seqno ${count(leaderDb.lastSeq)}, ${peers.map((p, i) => `${p} at ${count(followerDbs[i]!.lastSeq)}`).join(', ')}`);
  for (const line of scoreTable([{ title: 'leader', rows: leaderTop }, ...peers.map((p, i) => ({ title: p, rows: followerTops[i]! }))])) {
    say(`  ${line}`);
  }
  say();
  const searchQuery = { text: SEARCH_TEXT, signal: 'view', limit: 5, at: DEMO_QUERY_AT_MS };
  const leaderHits = leaderDb.search(searchQuery);
  const followerHits = followerDbs.map((db) => db.search(searchQuery));
  say(`search({ text: '${SEARCH_TEXT}', signal: 'view', limit: 5 }) on ${peers[0]}:`);
  const firstHits = followerHits[0] ?? [];
  firstHits.forEach((hit, i) => {
    const mark = sameScored(hit, leaderHits[i]) ? 'same on leader' : `leader has ${leaderHits[i]?.id ?? 'nothing'}`;
    say(`  ${String(i + 1).padStart(2)}. ${hit.id}  ${hit.score.toFixed(6).padStart(10)}  ${(followerDbs[0]!.getItem(hit.id)?.text ?? '').padEnd(24)}  (${mark})`);
  });
  if (firstHits.length === 0) say('  (no hits)');
  say();
  const differing = peers.filter((_, i) => !sameList(followerTops[i]!, leaderTop) || !sameList(followerHits[i]!, leaderHits)
    || followerDbs[i]!.lastSeq !== leaderDb.lastSeq);
  const match = differing.length === 0;
  if (nodes.rejections.length > 0) {
    say(`${nodes.rejections.length} segment(s) refused or failed (replication retried):`);
    for (const r of nodes.rejections.slice(0, 5)) say(`  ${r}`);
  }
  say(verdict(converged, match, convergeMs, report, peers, differing));
  return { converged, convergeMs, leaderTop, followerTops, match };
}

function verdict(
  converged: boolean, match: boolean, convergeMs: number, report: LagReport, peers: readonly string[], differing: readonly string[],
): string {
  if (!converged) {
    const behind = peers.map((p) => `${p} lag ${report[p] ? `${count(report[p].events)} events` : 'unknown (no ack)'}`).join(', ');
    return `FAIL: followers did not catch up within ${CONVERGE_TIMEOUT_MS} ms (${behind})`;
  }
  if (!match) return `FAIL: ${differing.join(', ')} caught up but ${differing.length === 1 ? 'its' : 'their'} results differ from the leader's`;
  return `PASS: followers match the leader (lag 0 after ${convergeMs} ms)`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sameList(a: readonly Scored[], b: readonly Scored[]): boolean {
  return a.length === b.length && a.every((s, i) => sameScored(s, b[i]));
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

