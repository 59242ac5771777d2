/**
 * The runs the transport comparison makes on any BenchCluster (over TCP and
 * over JetStream, the same code):
 *
 *   throughputRun: issue 9's workload (N signals over 5,000 items in
 *     `signalBatch`es of 1,000, each awaited) to `followers` processes;
 *     N ÷ (first write → every peer's `replicationLag` 0, polled every
 *     1 ms). Then the steady lag on the same cluster, when asked: 100,000
 *     single signals/s over 100k items, every 100th seqno stamped when
 *     written and again when the leader's `applied$` reports a follower ack
 *     at or past it (write → the leader knows it applied; the shape of
 *     tcpReplication.ts's lag row). Then, when asked, the quorum waits of
 *     quorumWait.ts: write one signal, await it, then time
 *     `waitForFollowers(seq, { count: 1, level: 'durable', timeoutMs })`
 *     alone; samples one after another, warm-up dropped. (quorumWait.ts
 *     ships every 1 s so no tick helps a sample; here the tick is 10 ms, and
 *     a wait seals at once, so a tick could help only one falling in the
 *     microseconds between the write and the wait.) Each replica is then
 *     stopped, reopened here, and must answer retrieve exactly as the
 *     leader does.
 */
import { join } from 'node:path';
import { FollowerDb, TidalDb } from '../../src/index.js';
import type { BenchCluster, StartBenchCluster } from './benchCluster.js';
import { MarkLag } from './markLag.js';
import { pacedWrites } from './pacedWrites.js';
import { pollUntil } from './pollUntil.js';
import { verifyConverged } from './replication.js';
import { type LatencySummary, summarize } from './stats.js';
import { withTempDir } from './tempDir.js';
import { ISSUE9_ITEMS, itemIds, rng, secondsSince, signalBatches, writeBatches } from './workload.js';

/** The ship tick of the throughput and lag runs, as in the tcp and jetstream rows since issue 9. */
export const SHIP_INTERVAL_MS = 10;
export const LAG_RATE_PER_SEC = 100_000;
export const LAG_ITEMS = 100_000;
const SAMPLE_EVERY = 100;
/** Convergence slower than this is a failure, not a figure: at 100k/s a million signals take 10 s. */
const CONVERGE_TIMEOUT_MS = 300_000;
/** 1 s: far past a loopback round trip with an fsync (~1 ms); a sample that times out is counted, not hidden. */
const WAIT_TIMEOUT_MS = 1000;

export interface ThroughputRun {
  readonly signalsPerSec: number;
  readonly writeSeconds: number;
  readonly convergedSeconds: number;
  /** The steady load on the same cluster, when one was asked for. */
  readonly lag: SteadyLag | null;
  /** The quorum waits on the same cluster, when asked for. */
  readonly quorum: QuorumWaits | null;
}

export interface ClusterRunOptions {
  /** Signals of issue 9's workload. */
  readonly n: number;
  readonly followers: number;
  /** Then this long a steady 100k/s, in ms; 0: none. */
  readonly lagMs: number;
  /** Then this many timed quorum waits (0: none), after `quorumWarmup` untimed ones. */
  readonly quorumSamples: number;
  readonly quorumWarmup: number;
}

export interface SteadyLag {
  readonly achievedPerSec: number;
  readonly lag: LatencySummary;
  readonly writeFailures: number;
}

export interface QuorumWaits {
  readonly durable: LatencySummary;
  readonly timeouts: number;
}

/** `n` signals (issue 9's workload) to `followers` processes, timed to converged; then the steady load and the quorum waits, if asked. */
export async function clusterRun(start: StartBenchCluster, options: ClusterRunOptions): Promise<ThroughputRun> {
  const { n, followers, lagMs, quorumSamples, quorumWarmup } = options;
  globalThis.gc?.();
  const peers = Array.from({ length: followers }, (_, i) => `f${i + 1}`);
  const baseMs = Date.now();
  const batches = signalBatches(n, ISSUE9_ITEMS, { seed: 23, baseMs });
  return withTempDir(async (root) => {
    const db = await TidalDb.open();
    try {
      const cluster = await start({ db, peers, root, shipIntervalMs: SHIP_INTERVAL_MS });
      let run: ThroughputRun;
      try {
        await cluster.spawnFollowers();
        const t0 = performance.now();
        await writeBatches(db, batches);
        const writeSeconds = secondsSince(t0);
        const convergedMs = await converged(db, cluster, peers, t0);
        const lag = lagMs > 0 ? await steadyLag(db, cluster, peers, lagMs) : null;
        const quorum = quorumSamples > 0 ? await quorumWaits(db, cluster, quorumSamples, quorumWarmup) : null;
        run = { signalsPerSec: n / (convergedMs / 1000), writeSeconds, convergedSeconds: convergedMs / 1000, lag, quorum };
      } finally {
        await cluster.stop();
      }
      await verifyReplicas(db, root, peers, Date.now());
      return run;
    } finally {
      await db.close();
    }
  });
}

/** ms from `sinceMs` until every peer's replicationLag is 0; throws past CONVERGE_TIMEOUT_MS. */
async function converged(db: TidalDb, cluster: BenchCluster, peers: readonly string[], sinceMs = performance.now()): Promise<number> {
  const ms = await pollUntil(() => {
    const lag = db.metrics.snapshot().replicationLag;
    return peers.every((p) => lag[p] === 0);
  }, { sinceMs, timeoutMs: CONVERGE_TIMEOUT_MS });
  if (!Number.isFinite(ms)) throw new Error(`followers not converged after ${CONVERGE_TIMEOUT_MS} ms:\n${cluster.outputs()}`);
  return ms;
}

/** A steady 100k/s of single signals for `durationMs`, lag write → the leader hears the first follower's ack. */
async function steadyLag(db: TidalDb, cluster: BenchCluster, peers: readonly string[], durationMs: number): Promise<SteadyLag> {
  const ids = itemIds(LAG_ITEMS);
  const random = rng(31);
  const stamps = new MarkLag();
  const acks = cluster.leader.applied$.subscribe((a) => a.peer === peers[0] && stamps.reached(a.appliedSeq));
  let writeFailures = 0;
  try {
    const load = await pacedWrites(LAG_RATE_PER_SEC, durationMs, (i) => {
      db.signal({ itemId: ids[Math.floor(random() * ids.length)]!, type: 'view' }).catch(() => writeFailures++);
      if ((i + 1) % SAMPLE_EVERY === 0) stamps.written(db.lastSeq);
    });
    await converged(db, cluster, peers);
    cluster.assertFollowersRunning();
    return { achievedPerSec: load.written / load.seconds, lag: summarize(stamps.lagsMs), writeFailures };
  } finally {
    acks.unsubscribe();
  }
}

/** Opens each stopped follower's directory here and checks it holds what the leader holds. */
async function verifyReplicas(leader: TidalDb, root: string, peers: readonly string[], atMs: number): Promise<void> {
  const replicas: TidalDb[] = [];
  try {
    for (const peer of peers) replicas.push(await FollowerDb.open({ dir: join(root, peer) }));
    verifyConverged(leader, replicas, peers, atMs);
  } finally {
    await Promise.allSettled(replicas.map((r) => r.close()));
  }
}

/** `samples` quorum waits at level 'durable' to the first peer, one after another, after `warmup` dropped ones. */
async function quorumWaits(db: TidalDb, cluster: BenchCluster, samples: number, warmup: number): Promise<QuorumWaits> {
  let timeouts = 0;
  const sample = async (i: number): Promise<number> => {
    const seq = await db.signal({ itemId: `item-${i % 5000}`, type: 'view' });
    const t0 = performance.now();
    await cluster.leader.waitForFollowers(seq, { count: 1, level: 'durable', timeoutMs: WAIT_TIMEOUT_MS }).catch(() => timeouts++);
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) await sample(i);
  timeouts = 0;
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push(await sample(warmup + i));
  cluster.assertFollowersRunning();
  return { durable: summarize(ms), timeouts };
}
