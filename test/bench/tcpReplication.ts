/**
 * Replication over loopback TCP to real follower processes: the leader is
 * an in-memory TidalDb in this process behind
 * `TcpTransport.listen({ port: 0, token, db })` and
 * `startLeader({ …, shipIntervalMs: 10 })`; each follower is a
 * `tidaldb follower --dir … --connect 127.0.0.1:PORT --peer fN` child
 * process with its own persisted replica (fsync before each ack).
 *
 *   end to end (issue 9's workload): N = 1,000,000 signals (scaled) over
 *     5,000 items, written as `signalBatch`es of 1,000, each awaited before
 *     the next, with 1 follower process (median of 3 runs: issue 9's
 *     "Over TCP, to one follower process" ≥ 2× Redis-native, in
 *     issue9Rows.ts) and with 4 (one run, informational);
 *     N ÷ (first write → `metrics.snapshot().replicationLag[peer] === 0`
 *     for every peer, polled every 1 ms): every follower acked the last
 *     seqno as applied and durable. Each replica is then stopped (SIGTERM),
 *     reopened here and must answer retrieve exactly as the leader does.
 *   lag (earlier row): a steady 100,000 single signals/s over 100k items
 *     for 5 s × scale (at least 1 s) to one follower process. Direct: every
 *     100th seqno is stamped when written and again when the leader's
 *     `applied$` reports a follower ack at or past it. Gauge: the leader's
 *     `metrics.snapshot().followers[peer].ms`, sampled every 10 ms. Both as
 *     p50/p99. Issue 9's lag row is tcpBatchLag.ts.
 *   catch-up: N signals over 100k items written first into a leader with a
 *     directory (wal.sync 'none'); then one follower process starts from an
 *     empty directory; events/s until it has acked all of them (from its
 *     spawn, and from its handshake).
 */
import { join } from 'node:path';
import { filter, first } from 'rxjs';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { repeats, scaled } from './benchConfig.js';
import type { ChildExit } from './followerProcess.js';
import { pacedWrites } from './pacedWrites.js';
import { MarkLag } from './markLag.js';
import { pollUntil } from './pollUntil.js';
import { verifyConverged } from './replication.js';
import { type BenchResult, type LatencySummary, medianRun, summarize } from './stats.js';
import { TcpCluster } from './tcpCluster.js';
import { withTempDir } from './tempDir.js';
import { ISSUE9_BATCH, ISSUE9_ITEMS, ISSUE9_SIGNALS, itemIds, rng, secondsSince, signalBatches, writeBatches, writeBulk } from './workload.js';

const SHIP_INTERVAL_MS = 10;
const RATE_PER_SEC = 100_000;
const SAMPLE_EVERY = 100;
const GAUGE_SAMPLE_MS = 10;
/** Convergence slower than this is a failure, not a figure: at 100k/s a million signals take 10 s. */
const CONVERGE_TIMEOUT_MS = 300_000;

interface ThroughputRun {
  readonly signalsPerSec: number;
  readonly writeSeconds: number;
  readonly convergedSeconds: number;
  readonly segmentsShipped: number;
  readonly shippedBytes: number;
}

interface SteadyLagRun {
  readonly achievedPerSec: number;
  readonly direct: LatencySummary;
  readonly gauge: LatencySummary;
  /** p99 of the direct samples by second of the load: flat when the follower keeps up. */
  readonly directP99BySecondMs: readonly number[];
  readonly convergedAfterLoadMs: number;
  readonly writeFailures: number;
}

interface CatchUpRun {
  readonly eventsPerSec: number;
  readonly fromHandshakePerSec: number;
  readonly seconds: number;
  readonly handshakeMs: number;
  readonly segmentsShipped: number;
  readonly checkpointsShipped: number;
}

export async function tcpReplication(): Promise<BenchResult[]> {
  const n = scaled(ISSUE9_SIGNALS, 1000);
  const items = scaled(100_000, 100);
  const durationMs = scaled(5000, 1000);
  const ones: ThroughputRun[] = [];
  for (let r = 0; r < repeats(3); r++) {
    ones.push(await throughputRun(n, 1));
    process.stderr.write(`  tcp: 1 follower, run ${r + 1}: ${Math.round(ones[r]!.signalsPerSec)} signals/s to converged\n`);
  }
  const one = medianRun(ones, (x) => x.signalsPerSec);
  const four = await throughputRun(n, 4);
  const lag = await steadyLagRun(durationMs, items);
  const catchUp = await catchUpRun(n, items);
  const details = { signals: n, items: ISSUE9_ITEMS, batch: ISSUE9_BATCH, shipIntervalMs: SHIP_INTERVAL_MS };
  return [
    {
      benchmark: 'tcp e2e, 1 follower process, signalBatch of 1,000, 5,000 items', measured: one.signalsPerSec, unit: 'signals/s', goal: null,
      key: 'tcp.oneFollower', details: { ...details, ...one, runs: ones.map((x) => x.signalsPerSec) },
    },
    { benchmark: '  write phase alone, 1 follower', measured: n / one.writeSeconds, unit: 'signals/s', goal: null },
    { benchmark: 'tcp e2e, 4 follower processes (one run)', measured: four.signalsPerSec, unit: 'signals/s', goal: null, details: { ...details, ...four } },
    { benchmark: '  write phase alone, 4 followers', measured: n / four.writeSeconds, unit: 'signals/s', goal: null },
    {
      benchmark: 'earlier: tcp lag p99 at 100k/s, write → ack (1 process, 100k items)', measured: lag.direct.p99Ms, unit: 'ms', goal: null,
      key: 'tcp.lag100k', details: { durationMs, items, ...lag },
    },
    { benchmark: '  tcp lag p50, write → ack', measured: lag.direct.p50Ms, unit: 'ms', goal: null },
    { benchmark: '  leader gauge followers[peer].ms p99', measured: lag.gauge.p99Ms, unit: 'ms', goal: null },
    { benchmark: '  leader gauge followers[peer].ms p50', measured: lag.gauge.p50Ms, unit: 'ms', goal: null },
    { benchmark: '  achieved write rate', measured: lag.achievedPerSec, unit: 'signals/s', goal: null },
    { benchmark: '  convergence after the load stopped', measured: lag.convergedAfterLoadMs, unit: 'ms', goal: null },
    { benchmark: 'tcp catch-up, 1 process from empty (N behind, 100k items)', measured: catchUp.eventsPerSec, unit: 'events/s', goal: null, details: { events: n, items, ...catchUp } },
    { benchmark: '  catch-up from the handshake', measured: catchUp.fromHandshakePerSec, unit: 'events/s', goal: null },
  ];
}

async function throughputRun(n: number, followerCount: number): Promise<ThroughputRun> {
  globalThis.gc?.();
  const peers = Array.from({ length: followerCount }, (_, i) => `f${i + 1}`);
  const baseMs = Date.now();
  const batches = signalBatches(n, ISSUE9_ITEMS, { seed: 23, baseMs });
  return withTempDir(async (root) => {
    const db = await TidalDb.open();
    try {
      const cluster = await TcpCluster.start({ db, peers, root, shipIntervalMs: SHIP_INTERVAL_MS });
      let run: ThroughputRun;
      let exits: ChildExit[] = [];
      try {
        await cluster.spawnFollowers();
        const t0 = performance.now();
        await writeBatches(db, batches);
        const writeSeconds = secondsSince(t0);
        const convergedMs = await pollUntil(() => {
          const lag = db.metrics.snapshot().replicationLag;
          return peers.every((p) => lag[p] === 0);
        }, { sinceMs: t0, timeoutMs: CONVERGE_TIMEOUT_MS });
        if (!Number.isFinite(convergedMs)) throw new Error(`tcp: followers not converged after ${CONVERGE_TIMEOUT_MS} ms:\n${cluster.outputs()}`);
        const counters = db.metrics.snapshot().counters;
        run = {
          signalsPerSec: n / (convergedMs / 1000), writeSeconds, convergedSeconds: convergedMs / 1000,
          segmentsShipped: counters['replication.shippedSegments'] ?? 0, shippedBytes: counters['replication.shippedBytes'] ?? 0,
        };
      } finally {
        exits = await cluster.stop();
      }
      cluster.assertCleanExits(exits);
      await verifyReplicas(db, root, peers, baseMs + n);
      return run;
    } finally {
      await db.close();
    }
  });
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

async function steadyLagRun(durationMs: number, items: number): Promise<SteadyLagRun> {
  globalThis.gc?.();
  const ids = itemIds(items);
  const random = rng(31);
  const peer = 'f1';
  return withTempDir(async (root) => {
    const db = await TidalDb.open();
    try {
      const cluster = await TcpCluster.start({ db, peers: [peer], root, shipIntervalMs: SHIP_INTERVAL_MS });
      try {
        await cluster.spawnFollowers();
        const stamps = new MarkLag();
        const acks = cluster.leader.applied$.subscribe((a) => stamps.reached(a.appliedSeq));
        const gaugeMs: number[] = [];
        const sampler = setInterval(() => {
          const lag = db.metrics.snapshot().followers[peer];
          if (lag) gaugeMs.push(lag.ms);
        }, GAUGE_SAMPLE_MS);
        let writeFailures = 0;
        const loadStart = performance.now();
        try {
          const load = await pacedWrites(RATE_PER_SEC, durationMs, (i) => {
            db.signal({ itemId: ids[Math.floor(random() * ids.length)]!, type: 'view' }).catch(() => writeFailures++);
            if ((i + 1) % SAMPLE_EVERY === 0) stamps.written(db.lastSeq);
          });
          clearInterval(sampler);
          const convergedAfterLoadMs = await pollUntil(() => db.metrics.snapshot().replicationLag[peer] === 0, { timeoutMs: CONVERGE_TIMEOUT_MS });
          cluster.assertFollowersRunning();
          return {
            achievedPerSec: load.written / load.seconds, direct: summarize(stamps.lagsMs), gauge: summarize(gaugeMs),
            directP99BySecondMs: stamps.p99ByWindow(loadStart, 1000), convergedAfterLoadMs, writeFailures,
          };
        } finally {
          clearInterval(sampler);
          acks.unsubscribe();
        }
      } finally {
        await cluster.stop();
      }
    } finally {
      await db.close();
    }
  });
}

async function catchUpRun(n: number, items: number): Promise<CatchUpRun> {
  globalThis.gc?.();
  const ids = itemIds(items);
  const random = rng(47);
  const peer = 'c1';
  const baseMs = Date.now();
  return withTempDir(async (root) => {
    const db = await TidalDb.open({ dir: join(root, 'leader'), wal: { sync: 'none' } });
    try {
      await writeBulk(n, (i) => db.signal({ itemId: ids[Math.floor(random() * items)]!, type: 'view', at: baseMs + i }));
      const lastSeq = db.lastSeq;
      const cluster = await TcpCluster.start({ db, peers: [peer], root, shipIntervalMs: SHIP_INTERVAL_MS });
      let run: CatchUpRun;
      let exits: ChildExit[] = [];
      try {
        let handshakeAt = NaN;
        let doneAt = NaN;
        const connected = cluster.listener.events$.pipe(filter((e) => e.kind === 'connected'), first()).subscribe(() => (handshakeAt = performance.now()));
        const acked = cluster.leader.applied$.pipe(filter((a) => a.appliedSeq >= lastSeq), first()).subscribe(() => (doneAt = performance.now()));
        const t0 = performance.now();
        try {
          await cluster.spawnFollowers();
          const waitedMs = await pollUntil(() => {
            cluster.assertFollowersRunning();
            return Number.isFinite(doneAt);
          }, { sinceMs: t0, timeoutMs: CONVERGE_TIMEOUT_MS });
          if (!Number.isFinite(waitedMs)) throw new Error(`tcp catch-up: not caught up after ${CONVERGE_TIMEOUT_MS} ms:\n${cluster.outputs()}`);
        } finally {
          connected.unsubscribe();
          acked.unsubscribe();
        }
        const seconds = (doneAt - t0) / 1000;
        const counters = db.metrics.snapshot().counters;
        run = {
          eventsPerSec: n / seconds, fromHandshakePerSec: n / ((doneAt - handshakeAt) / 1000), seconds, handshakeMs: handshakeAt - t0,
          segmentsShipped: counters['replication.shippedSegments'] ?? 0, checkpointsShipped: counters['replication.shippedCheckpoints'] ?? 0,
        };
      } finally {
        exits = await cluster.stop();
      }
      cluster.assertCleanExits(exits);
      await verifyReplicas(db, root, [peer], baseMs + n);
      return run;
    } finally {
      await db.close();
    }
  });
}
