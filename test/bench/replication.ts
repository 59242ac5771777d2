/**
 * End-to-end in-process replication throughput: an in-memory leader ships
 * to 1 and to 4 in-memory followers over an InProcessTransport (capacity 64,
 * shipIntervalMs 10, feedbackIntervalMs 100). 64 concurrent writers write
 * N = 500,000 signals (scaled); the clock runs from the first write until
 * every follower's `waitFor(lastSeq)` resolved.
 *
 *   goal ≥ 500,000 signals/s with 1 follower, ≥ 200,000 signals/s with 4
 *
 * Afterwards every follower must answer retrieve exactly as the leader does;
 * if not, the benchmark throws.
 */
import { FollowerDb, TidalDb } from '../../src/index.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { repeats, scaled } from './benchConfig.js';
import { type BenchResult, medianRun } from './stats.js';
import { closeAll, itemIds, rng, runWriters, secondsSince, WRITERS } from './workload.js';

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
  const n = scaled(500_000, 1000);
  const items = scaled(100_000, 100);
  const results: BenchResult[] = [];
  for (const [followers, goal] of [[1, 500_000], [4, 200_000]] as const) {
    const runs: ReplicationRun[] = [];
    for (let r = 0; r < repeats(1); r++) runs.push(await replicationRun(n, items, followers));
    const run = medianRun(runs, (x) => x.signalsPerSec);
    results.push({
      benchmark: `replication e2e, ${followers} follower${followers > 1 ? 's' : ''}`, measured: run.signalsPerSec,
      unit: 'signals/s', goal: { op: '>=', value: goal },
      details: { signals: n, items, followers, ...run, runs: runs.map((x) => x.signalsPerSec) },
    });
  }
  return results;
}

async function replicationRun(n: number, items: number, followerCount: number): Promise<ReplicationRun> {
  globalThis.gc?.();
  const ids = itemIds(items);
  const random = rng(23);
  const pick = Uint32Array.from({ length: n }, () => Math.floor(random() * items));
  const peers = Array.from({ length: followerCount }, (_, i) => `f${i + 1}`);
  const leaderDb = await TidalDb.open();
  const followerDbs = await Promise.all(peers.map(() => FollowerDb.open()));
  const transport = new InProcessTransport({ capacity: CHANNEL_CAPACITY });
  const leader = startLeader({ db: leaderDb, transport, followers: peers, shipIntervalMs: SHIP_INTERVAL_MS });
  const receivers = peers.map((peer, i) => startFollower({ db: followerDbs[i]!, transport, peer, feedbackIntervalMs: FEEDBACK_INTERVAL_MS }));
  let segmentsShipped = 0;
  const shippedSub = leader.shipped$.subscribe(() => segmentsShipped++);
  const baseMs = Date.now();
  try {
    const t0 = performance.now();
    await runWriters(WRITERS, n, (i) => leaderDb.signal({ itemId: ids[pick[i]!]!, type: 'view', at: baseMs + i }));
    const writeSeconds = secondsSince(t0);
    const lastSeq = leaderDb.lastSeq;
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
