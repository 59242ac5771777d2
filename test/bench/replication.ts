/**
 * End-to-end in-process replication throughput, issue 9's workload: an
 * in-memory leader ships to 1 and to 4 in-memory followers on the same
 * thread over an InProcessTransport (capacity 64, shipIntervalMs 10,
 * feedbackIntervalMs 100). N = 1,000,000 signals (scaled) over 5,000 items
 * are written as `signalBatch`es of 1,000, each awaited before the next;
 * the clock runs from the first write until every follower's
 * `waitFor(lastSeq)` resolved.
 *
 *   1 follower    median of 3 runs: issue 9's "In process, leader plus one
 *                 follower, to converged" ≥ 2× Redis-native (issue9Rows.ts;
 *                 one replica worker, in replicaWorkers.ts, counts too)
 *   4 followers   one run, informational
 *
 * Afterwards every follower must answer retrieve exactly as the leader does;
 * if not, the benchmark throws.
 */
import { FollowerDb, TidalDb } from '../../src/index.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { repeats, scaled } from './benchConfig.js';
import { type BenchResult, medianRun } from './stats.js';
import { closeAll, ISSUE9_BATCH, ISSUE9_ITEMS, ISSUE9_SIGNALS, secondsSince, signalBatches, writeBatches } from './workload.js';

const WAIT_TIMEOUT_MS = 120_000;
const SHIP_INTERVAL_MS = 10;
const FEEDBACK_INTERVAL_MS = 100;
const CHANNEL_CAPACITY = 64;

interface ReplicationRun {
  readonly signalsPerSec: number;
  readonly writeSeconds: number;
  readonly totalSeconds: number;
  readonly segmentsShipped: number;
}

export async function replication(): Promise<BenchResult[]> {
  const n = scaled(ISSUE9_SIGNALS, 1000);
  const results: BenchResult[] = [];
  for (const [followers, runCount] of [[1, repeats(3)], [4, 1]] as const) {
    const runs: ReplicationRun[] = [];
    for (let r = 0; r < runCount; r++) runs.push(await replicationRun(n, followers));
    const run = medianRun(runs, (x) => x.signalsPerSec);
    results.push({
      benchmark: followers === 1 ? 'in-process e2e, leader + 1 follower, signalBatch of 1,000, 5,000 items' : '  in-process e2e, 4 followers (one run)',
      measured: run.signalsPerSec, unit: 'signals/s', goal: null, ...(followers === 1 ? { key: 'replication.oneFollower' } : {}),
      details: { signals: n, items: ISSUE9_ITEMS, batch: ISSUE9_BATCH, followers, ...run, runs: runs.map((x) => x.signalsPerSec) },
    });
    if (followers === 1) results.push({ benchmark: '  write phase alone, 1 follower', measured: n / run.writeSeconds, unit: 'signals/s', goal: null });
  }
  return results;
}

async function replicationRun(n: number, followerCount: number): Promise<ReplicationRun> {
  globalThis.gc?.();
  const baseMs = Date.now();
  const batches = signalBatches(n, ISSUE9_ITEMS, { seed: 23, baseMs });
  const peers = Array.from({ length: followerCount }, (_, i) => `f${i + 1}`);
  const leaderDb = await TidalDb.open();
  const followerDbs = await Promise.all(peers.map(() => FollowerDb.open()));
  const transport = new InProcessTransport({ capacity: CHANNEL_CAPACITY });
  const leader = startLeader({ db: leaderDb, transport, followers: peers, shipIntervalMs: SHIP_INTERVAL_MS });
  const receivers = peers.map((peer, i) => startFollower({ db: followerDbs[i]!, transport, peer, feedbackIntervalMs: FEEDBACK_INTERVAL_MS }));
  let segmentsShipped = 0;
  const shippedSub = leader.shipped$.subscribe(() => segmentsShipped++);
  try {
    const t0 = performance.now();
    const lastSeq = await writeBatches(leaderDb, batches);
    const writeSeconds = secondsSince(t0);
    await Promise.all(followerDbs.map((f) => f.waitFor(lastSeq, { timeoutMs: WAIT_TIMEOUT_MS })));
    const totalSeconds = secondsSince(t0);
    verifyConverged(leaderDb, followerDbs, peers, baseMs + n);
    return { signalsPerSec: n / totalSeconds, writeSeconds, totalSeconds, segmentsShipped };
  } finally {
    shippedSub.unsubscribe();
    leader.stop();
    for (const r of receivers) r.stop();
    transport.close();
    await closeAll([leaderDb, ...followerDbs]);
  }
}

/** Throws unless every follower holds the leader's seqno and answers retrieve identically. */
export function verifyConverged(leader: TidalDb, followers: readonly TidalDb[], peers: readonly string[], atMs: number): void {
  const expected = JSON.stringify(leader.retrieve({ signal: 'view', limit: 100, at: atMs }));
  followers.forEach((f, i) => {
    if (f.lastSeq !== leader.lastSeq) throw new Error(`replication: follower ${peers[i]} at seqno ${f.lastSeq}, leader at ${leader.lastSeq}`);
    const actual = JSON.stringify(f.retrieve({ signal: 'view', limit: 100, at: atMs }));
    if (actual !== expected) throw new Error(`replication: follower ${peers[i]} retrieve differs from the leader's:\n  leader   ${expected.slice(0, 300)}\n  follower ${actual.slice(0, 300)}`);
  });
}
