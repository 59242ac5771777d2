/**
 * Read replicas in worker threads (issue 9): an in-memory leader in the
 * main thread ships to 4 and to 1 in-memory replica workers
 * (startReplicaWorker over a WorkerTransport, capacity 64, shipIntervalMs
 * 10, feedbackIntervalMs 100), issue 9's workload as replication.ts:
 * N = 1,000,000 signals (scaled) over 5,000 items, as `signalBatch`es of
 * 1,000, each awaited before the next; the clock runs from the first write
 * until every worker's `waitFor(lastSeq)` resolved. Every worker must then
 * answer retrieve as the leader does, or the benchmark throws. Three runs
 * of each, the median reported.
 *
 *   Four replica workers            issue 9: ≥ 1× Redis-native, the ratio in issue9Rows.ts
 *   One replica worker              issue 9's in-process row ("a replica worker counts"), in issue9Rows.ts
 *   A replica worker's retrieve     goal p99 ≤ 100 µs: 20,000 sequential retrieve({ signal: 'view',
 *     round trip                    limit: 10 }) round trips (scaled, after 2,000 warm-up ones) on a
 *                                   converged worker, each timed from the call to its answer
 *   ... while the main thread ingests   informational: 2,000 of them (scaled) while this thread
 *                                   writes one signalBatch of 100 per event-loop turn
 *
 * The worker script is dist/streams/replicaWorkerMain.js: the default, as
 * `npm run bench` builds dist/ first.
 */
import { TidalDb } from '../../src/index.js';
import { asTransport, type ReplicaWorker, startLeader, startReplicaWorker, WorkerTransport } from '../../streams/index.js';
import { repeats, scaled } from './benchConfig.js';
import { replicaWorkersHandoff } from './replicaWorkersHandoff.js';
import { type BenchResult, median, medianRun, summarize } from './stats.js';
import { ISSUE9_BATCH, ISSUE9_ITEMS, ISSUE9_SIGNALS, itemIds, secondsSince, signalBatches, writeBatches, yieldToEventLoop } from './workload.js';

const WAIT_TIMEOUT_MS = 120_000;
const SHIP_INTERVAL_MS = 10;
const FEEDBACK_INTERVAL_MS = 100;
const CHANNEL_CAPACITY = 64;
/**
 * 60 s, not the default 5 s: a MessagePort loses nothing in transit (a dead
 * worker's restart re-sends from its mark), and on this 2-core machine four
 * workers applying 4 MiB segments can go 5 s without an ack; the default
 * then re-ships each one's whole window (64 segments) again and again.
 */
const RETRANSMIT_AFTER_MS = 60_000;
const WARMUP_CALLS = 2000;
/** Signals written per event-loop turn while round trips are measured under ingest. */
const INGEST_BATCH = 100;

interface ConvergenceRun {
  readonly signalsPerSec: number;
  readonly writeSeconds: number;
  readonly totalSeconds: number;
  readonly roundTripUs: { readonly p50: number; readonly p99: number; readonly max: number } | null;
  readonly busyRoundTripUs: { readonly p50: number; readonly p99: number; readonly ingestPerSec: number } | null;
}

export async function replicaWorkers(): Promise<BenchResult[]> {
  const n = scaled(ISSUE9_SIGNALS, 1000);
  const calls = scaled(20_000, 2000);
  const results: BenchResult[] = [];
  for (const workerCount of [4, 1]) {
    const runs: ConvergenceRun[] = [];
    for (let r = 0; r < repeats(3); r++) {
      const run = await convergenceRun(n, workerCount, workerCount === 1 ? calls : 0);
      process.stderr.write(`  workers: ${workerCount} worker(s), run ${r + 1}: ${Math.round(run.signalsPerSec)} signals/s${run.roundTripUs ? `, round trip p99 ${run.roundTripUs.p99.toFixed(1)} µs` : ''}\n`);
      runs.push(run);
    }
    const run = medianRun(runs, (x) => x.signalsPerSec);
    results.push({
      benchmark: workerCount === 4 ? 'Four replica workers, to converged (signalBatch of 1,000, 5,000 items)' : '  One replica worker, to converged',
      measured: run.signalsPerSec, unit: 'signals/s', goal: null, key: workerCount === 4 ? 'workers.four' : 'workers.one',
      details: { signals: n, items: ISSUE9_ITEMS, batch: ISSUE9_BATCH, workers: workerCount, ...run, runs: runs.map((x) => x.signalsPerSec) },
    });
    if (workerCount === 1) results.push(...roundTripRows(runs, calls));
  }
  results.push(...(await replicaWorkersHandoff()));
  return results;
}

function roundTripRows(runs: readonly ConvergenceRun[], calls: number): BenchResult[] {
  const idle = runs.map((r) => r.roundTripUs!);
  const busy = runs.map((r) => r.busyRoundTripUs!);
  const run = medianRun(idle, (x) => x.p99);
  return [
    {
      benchmark: 'A replica worker\'s retrieve round trip p99', measured: run.p99, unit: 'µs', goal: null,
      key: 'workers.retrieveP99', details: { calls, ...run, runs: idle },
    },
    { benchmark: '  retrieve round trip p50', measured: run.p50, unit: 'µs', goal: null },
    { benchmark: '  retrieve round trip p99 while the main thread ingests', measured: median(busy.map((b) => b.p99)), unit: 'µs', goal: null, details: { runs: busy } },
    { benchmark: '  retrieve round trip p50 while the main thread ingests', measured: median(busy.map((b) => b.p50)), unit: 'µs', goal: null },
    { benchmark: '    main-thread ingest meanwhile (signalBatch of 100 per turn)', measured: median(busy.map((b) => b.ingestPerSec)), unit: 'signals/s', goal: null },
  ];
}

async function convergenceRun(n: number, workerCount: number, calls: number): Promise<ConvergenceRun> {
  globalThis.gc?.();
  const baseMs = Date.now();
  const batches = signalBatches(n, ISSUE9_ITEMS, { seed: 23, baseMs });
  const db = await TidalDb.open();
  const workers = new WorkerTransport({ capacity: CHANNEL_CAPACITY });
  const shipping = startLeader({
    db, transport: asTransport(workers), followers: workers.followers$, shipIntervalMs: SHIP_INTERVAL_MS, retransmitAfterMs: RETRANSMIT_AFTER_MS,
  });
  const replicas: ReplicaWorker[] = [];
  try {
    for (let i = 0; i < workerCount; i++) {
      replicas.push(await startReplicaWorker({ leader: workers, peer: `w${i + 1}`, feedbackIntervalMs: FEEDBACK_INTERVAL_MS }));
    }
    const t0 = performance.now();
    const lastSeq = await writeBatches(db, batches);
    const writeSeconds = secondsSince(t0);
    await Promise.all(replicas.map((r) => r.waitFor(lastSeq, { timeoutMs: WAIT_TIMEOUT_MS })));
    const totalSeconds = secondsSince(t0);
    await verifyConverged(db, replicas, baseMs + n);
    const roundTripUs = calls > 0 ? await roundTrips(replicas[0]!, calls) : null;
    const busyRoundTripUs = calls > 0 ? await roundTripsWhileIngesting(db, replicas[0]!, itemIds(ISSUE9_ITEMS), Math.ceil(calls / 10)) : null;
    return { signalsPerSec: n / totalSeconds, writeSeconds, totalSeconds, roundTripUs, busyRoundTripUs };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await shipping.stop();
    workers.close();
    await db.close();
  }
}

/** Sequential round trips, after 2,000 warm-up ones (JIT on both threads): p50, p99 and max in µs. */
async function roundTrips(replica: ReplicaWorker, calls: number): Promise<{ p50: number; p99: number; max: number }> {
  const warmup = WARMUP_CALLS;
  const samplesMs: number[] = [];
  for (let i = 0; i < warmup + calls; i++) {
    const t = performance.now();
    await replica.retrieve({ signal: 'view', limit: 10 });
    if (i >= warmup) samplesMs.push(performance.now() - t);
  }
  const s = summarize(samplesMs);
  return { p50: s.p50Ms * 1000, p99: s.p99Ms * 1000, max: s.maxMs * 1000 };
}

/**
 * The same, while this thread ingests: one `signalBatch` of 100 signals per
 * event-loop turn (as a server taking writes off its sockets would), so an
 * answer waits at most one turn of ingest to be read here. Resolves with
 * the ingest rate kept up meanwhile.
 */
async function roundTripsWhileIngesting(
  db: TidalDb, replica: ReplicaWorker, ids: readonly string[], calls: number,
): Promise<{ p50: number; p99: number; ingestPerSec: number }> {
  let writing = true;
  let written = 0;
  const baseMs = Date.now();
  const ingest = async (): Promise<void> => {
    while (writing) {
      const batch = Array.from({ length: INGEST_BATCH }, (_, i) => ({ itemId: ids[(written + i) % ids.length]!, type: 'view', at: baseMs }));
      await db.signalBatch(batch);
      written += INGEST_BATCH;
      await yieldToEventLoop();
    }
  };
  const t0 = performance.now();
  const ingesting = ingest();
  try {
    const { p50, p99 } = await roundTrips(replica, calls);
    return { p50, p99, ingestPerSec: written / secondsSince(t0) };
  } finally {
    writing = false;
    await ingesting;
  }
}

async function verifyConverged(leader: TidalDb, replicas: readonly ReplicaWorker[], atMs: number): Promise<void> {
  const expected = JSON.stringify(leader.retrieve({ signal: 'view', limit: 100, at: atMs }));
  for (const r of replicas) {
    const actual = JSON.stringify(await r.retrieve({ signal: 'view', limit: 100, at: atMs }));
    if (actual !== expected) throw new Error(`replica workers: ${r.peer} retrieve differs from the leader's:\n  leader  ${expected.slice(0, 300)}\n  replica ${actual.slice(0, 300)}`);
  }
}
