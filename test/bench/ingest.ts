/**
 * Ingest throughput: 64 concurrent writers each looping
 * `await db.signal({ itemId, type: 'view', at })` over 100k items.
 *
 *   in memory:  N = 1,000,000 (scaled), goal ≥ 1,000,000 signals/s
 *   with fsync: N = 200,000 (scaled), dir in os.tmpdir(), wal.sync 'fsync', goal ≥ 300,000 signals/s
 *
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
import { itemIds, rng, runWriters, secondsSince, WRITERS } from './workload.js';

const ITEMS = 100_000;

interface IngestRun {
  readonly signalsPerSec: number;
  readonly seconds: number;
  /** Event-loop turns in which at least one write resolved (≈ fsync groups); null in memory. */
  readonly resolveTurns: number | null;
}

export async function ingest(): Promise<BenchResult[]> {
  const items = scaled(ITEMS, 100);
  const memN = scaled(1_000_000, 1000);
  const fsyncN = scaled(200_000, 1000);
  const memRuns: IngestRun[] = [];
  for (let r = 0; r < repeats(3); r++) memRuns.push(await ingestRun(memN, items, null));
  const fsyncRuns: IngestRun[] = [];
  for (let r = 0; r < repeats(3); r++) fsyncRuns.push(await withTempDir((dir) => ingestRun(fsyncN, items, dir)));
  const mem = medianRun(memRuns, (r) => r.signalsPerSec);
  const disk = medianRun(fsyncRuns, (r) => r.signalsPerSec);
  const turns = disk.resolveTurns ?? 0;
  return [
    {
      benchmark: 'ingest in memory (64 writers)', measured: mem.signalsPerSec, unit: 'signals/s',
      goal: { op: '>=', value: 1_000_000 },
      details: { signals: memN, items, writers: WRITERS, runs: memRuns.map((r) => r.signalsPerSec) },
    },
    {
      benchmark: 'ingest with fsync (64 writers)', measured: disk.signalsPerSec, unit: 'signals/s',
      goal: { op: '>=', value: 300_000 },
      details: {
        signals: fsyncN, items, writers: WRITERS, runs: fsyncRuns.map((r) => r.signalsPerSec),
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

/** One run: a fresh db (in memory when `dir` is null), N signals, timed until the last write resolved. */
async function ingestRun(n: number, items: number, dir: string | null): Promise<IngestRun> {
  globalThis.gc?.();
  const ids = itemIds(items);
  const random = rng(7);
  const pick = Uint32Array.from({ length: n }, () => Math.floor(random() * items));
  const db = await TidalDb.open(dir === null ? {} : { dir, wal: { sync: 'fsync' } });
  const turns = new TurnCounter();
  const baseMs = Date.now();
  try {
    const t0 = performance.now();
    await runWriters(WRITERS, n, async (i) => {
      await db.signal({ itemId: ids[pick[i]!]!, type: 'view', at: baseMs + i });
      if (dir !== null) turns.note();
    });
    const seconds = secondsSince(t0);
    return { signalsPerSec: n / seconds, seconds, resolveTurns: dir === null ? null : turns.count };
  } finally {
    await db.close();
  }
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
