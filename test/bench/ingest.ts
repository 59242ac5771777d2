/**
 * Ingest throughput, each figure the median of 3 runs on a fresh database.
 *
 * Issue 9's rows, on its workload (1M signals, scaled, over 5,000 items):
 *   signalBatch of 1,000, in memory      goal ≥ 3,000,000 signals/s
 *   signalBatch of 1,000, under fsync    goal ≥ 1,000,000 signals/s: dir in os.tmpdir(), wal.sync
 *                                        'fsync', each batch awaited before the next (a commit, so an
 *                                        fsync, per batch at most); with 4 batches in flight beside it,
 *                                        informational (group commit takes what is pending)
 *   signal(), 64 concurrent writers,     goal ≥ 1,000,000 signals/s: each writer looping
 *     in memory                          `await db.signal({ itemId, type: 'view', at })`
 * and, informational, the same 64 writers over 100k items, the workload of
 * the runs before issue 9.
 *
 * The earlier fsync row: 64 writers of single signals, N = 200,000
 * (scaled) over 100k items, wal.sync 'fsync', goal ≥ 300,000 signals/s.
 * Group commit is observed from the outside: writes whose promises resolve
 * in the same event-loop turn belong to one fsync group, so
 * signals / turns ≈ signals per fdatasync. Each writer has at most one write
 * in flight, so a group holds at most 64 writes: 300k/s needs an fdatasync
 * of ≤ 213 µs.
 */
import { TidalDb } from '../../src/index.js';
import { repeats, scaled } from './benchConfig.js';
import { type BenchResult, median, medianRun } from './stats.js';
import { withTempDir } from './tempDir.js';
import { ISSUE9_BATCH, ISSUE9_ITEMS, ISSUE9_SIGNALS, itemIds, rng, runWriters, secondsSince, signalBatches, writeBatches, WRITERS } from './workload.js';

const EARLIER_ITEMS = 100_000;
/** Batches in flight for the informational fsync row: enough for group commit to matter, as a producer with a few requests outstanding. */
const BATCHES_IN_FLIGHT = 4;

interface IngestRun {
  readonly signalsPerSec: number;
  readonly seconds: number;
  /** Event-loop turns in which at least one write resolved (≈ fsync groups); null in memory. */
  readonly resolveTurns: number | null;
}

/** Where a run writes: in memory, or a fresh directory under fsync. */
type Where = 'memory' | 'fsync';

export async function ingest(): Promise<BenchResult[]> {
  const n = scaled(ISSUE9_SIGNALS, 1000);
  const batchMem = await medianOf(() => batchRun(n, 'memory', 1));
  const batchFsync = await medianOf(() => batchRun(n, 'fsync', 1));
  const batchFsyncPipelined = await medianOf(() => batchRun(n, 'fsync', BATCHES_IN_FLIGHT));
  const single = await medianOf(() => singleRun(n, ISSUE9_ITEMS, 'memory'));
  const earlierItems = scaled(EARLIER_ITEMS, 100);
  const singleEarlier = await medianOf(() => singleRun(n, earlierItems, 'memory'));
  const fsyncN = scaled(200_000, 1000);
  const fsyncRuns: IngestRun[] = [];
  for (let r = 0; r < repeats(3); r++) fsyncRuns.push(await singleRun(fsyncN, earlierItems, 'fsync'));
  const disk = medianRun(fsyncRuns, (r) => r.signalsPerSec);
  const turns = disk.resolveTurns ?? 0;
  const workload = { signals: n, items: ISSUE9_ITEMS };
  return [
    row('signalBatch of 1,000, in memory (5,000 items)', batchMem, null, 'ingest.batchMemory', { ...workload, batch: ISSUE9_BATCH }),
    row('signalBatch of 1,000, under fsync, each awaited', batchFsync, null, 'ingest.batchFsync', { ...workload, batch: ISSUE9_BATCH }),
    row(`  signalBatch of 1,000, under fsync, ${BATCHES_IN_FLIGHT} in flight`, batchFsyncPipelined, null, undefined, { ...workload, batch: ISSUE9_BATCH, inFlight: BATCHES_IN_FLIGHT }),
    row('signal(), 64 concurrent writers, in memory (5,000 items)', single, null, 'ingest.single64', { ...workload, writers: WRITERS }),
    row('  signal(), 64 writers, in memory, 100k items (earlier workload)', singleEarlier, null, undefined, { signals: n, items: earlierItems, writers: WRITERS }),
    {
      benchmark: 'earlier: signal() with fsync (64 writers, 100k items)', measured: disk.signalsPerSec, unit: 'signals/s',
      goal: { op: '>=', value: 300_000 },
      details: {
        signals: fsyncN, items: earlierItems, writers: WRITERS, runs: fsyncRuns.map((r) => r.signalsPerSec),
        resolveTurns: turns, fsyncGroupsPerSec: turns / disk.seconds,
        meanSignalsPerGroup: turns > 0 ? fsyncN / turns : null,
        medianSignalsPerGroupOverRuns: median(fsyncRuns.map((r) => fsyncN / (r.resolveTurns ?? 1))),
      },
    },
    {
      benchmark: '  fsync group commit: signals per fsync (est.)', measured: turns > 0 ? fsyncN / turns : NaN,
      unit: 'signals', goal: null,
    },
  ];
}

interface Median {
  readonly run: IngestRun;
  readonly runs: readonly IngestRun[];
}

async function medianOf(once: () => Promise<IngestRun>): Promise<Median> {
  const runs: IngestRun[] = [];
  for (let r = 0; r < repeats(3); r++) runs.push(await once());
  return { run: medianRun(runs, (x) => x.signalsPerSec), runs };
}

function row(benchmark: string, m: Median, goal: BenchResult['goal'], key: string | undefined, details: Record<string, unknown>): BenchResult {
  return {
    benchmark, measured: m.run.signalsPerSec, unit: 'signals/s', goal, ...(key ? { key } : {}),
    details: { ...details, runs: m.runs.map((r) => r.signalsPerSec) },
  };
}

/** A fresh database (in memory, or in a temporary directory under fsync), closed after `body`. */
async function withDb<T>(where: Where, body: (db: TidalDb) => Promise<T>): Promise<T> {
  const run = async (dir: string | null): Promise<T> => {
    globalThis.gc?.();
    const db = await TidalDb.open(dir === null ? {} : { dir, wal: { sync: 'fsync' } });
    try {
      return await body(db);
    } finally {
      await db.close();
    }
  };
  return where === 'memory' ? run(null) : withTempDir(run);
}

/** N signals over 5,000 items as signalBatches of 1,000, `inFlight` at a time, timed until the last resolved. */
async function batchRun(n: number, where: Where, inFlight: number): Promise<IngestRun> {
  const batches = signalBatches(n, ISSUE9_ITEMS, { seed: 7, baseMs: Date.now() });
  return withDb(where, async (db) => {
    const t0 = performance.now();
    await writeBatches(db, batches, inFlight);
    const seconds = secondsSince(t0);
    return { signalsPerSec: n / seconds, seconds, resolveTurns: null };
  });
}

/** N single signals from 64 writers, timed until the last write resolved. */
async function singleRun(n: number, items: number, where: Where): Promise<IngestRun> {
  const ids = itemIds(items);
  const random = rng(7);
  const pick = Uint32Array.from({ length: n }, () => Math.floor(random() * items));
  const baseMs = Date.now();
  return withDb(where, async (db) => {
    const turns = new TurnCounter();
    const t0 = performance.now();
    await runWriters(WRITERS, n, async (i) => {
      await db.signal({ itemId: ids[pick[i]!]!, type: 'view', at: baseMs + i });
      if (where === 'fsync') turns.note();
    });
    const seconds = secondsSince(t0);
    return { signalsPerSec: n / seconds, seconds, resolveTurns: where === 'fsync' ? turns.count : null };
  });
}

/** Counts event-loop turns in which `note()` was called at least once. */
class TurnCounter {
  count = 0;
  private open = false;

  note(): void {
    if (this.open) return;
    this.open = true;
    this.count++;
    setImmediate(() => (this.open = false));
  }
}
