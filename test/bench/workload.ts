/**
 * Workload generators shared by the benchmarks: deterministic random
 * numbers, item ids, a Zipf sampler, and two ways of writing signals
 * (concurrent awaiting writers, and bulk fire-then-await).
 */
import type { SignalInput, TidalDb } from '../../src/index.js';
import { seededRandom } from '../../streams/seededRandom.js';

/** 64: the concurrency the ingest goals are stated for. */
export const WRITERS = 64;

/**
 * Issue 9's workload, the one its Redis-native baseline runs: 1M signals
 * (scaled) over 5,000 items, `redis-benchmark -r 5000` members, written in
 * `signalBatch`es of 1,000 as redis-benchmark pipelines 1,000 commands.
 */
export const ISSUE9_SIGNALS = 1_000_000;
export const ISSUE9_ITEMS = 5000;
export const ISSUE9_BATCH = 1000;

/** A seeded PRNG, so every run writes the same data. Returns [0, 1). */
export const rng = seededRandom;

/** `item-0000000`… built once, so the timed loops do not build strings. */
export function itemIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `item-${String(i).padStart(7, '0')}`);
}

/**
 * Samples ranks 0..n-1 with P(rank k) ∝ 1 / (k + 1)^s (Zipf): a few very
 * popular items and a long tail. Inverse CDF by binary search, O(log n).
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, s);
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * `concurrency` writers, each awaiting its own write before the next, until
 * `total` writes were made; `write(i)` gets the global write index.
 */
export async function runWriters(concurrency: number, total: number, write: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const writer = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) await write(i);
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
}

/**
 * Writes `total` times without awaiting each, awaiting every `chunk`: the
 * fastest way to load data (large WAL batches). Not a measured path.
 *
 * `chunk` stays below MAX_BATCH_EVENTS (8192), as it always has. (An
 * earlier WAL hung a chunk of exactly 8192 under fsync: the write that
 * filled the batch got a commit group only a later write flushed. That is
 * fixed, and test/wal/commitGroup.test.ts holds it.)
 */
export async function writeBulk(total: number, write: (i: number) => Promise<unknown>, chunk = 4096): Promise<void> {
  for (let start = 0; start < total; start += chunk) {
    const end = Math.min(total, start + chunk);
    const pending: Promise<unknown>[] = [];
    for (let i = start; i < end; i++) pending.push(write(i));
    await Promise.all(pending);
  }
}

/**
 * `n` 'view' signals over `items` ids, uniformly at random (seeded), at
 * `baseMs + i`, cut into batches of `batchSize`: built before the clock
 * starts, so a timed loop only writes.
 */
export function signalBatches(n: number, items: number, options: { seed: number; baseMs: number; batchSize?: number }): SignalInput[][] {
  const ids = itemIds(items);
  const random = rng(options.seed);
  const batchSize = options.batchSize ?? ISSUE9_BATCH;
  const batches: SignalInput[][] = [];
  for (let start = 0; start < n; start += batchSize) {
    const batch: SignalInput[] = [];
    for (let i = start; i < Math.min(n, start + batchSize); i++) batch.push({ itemId: ids[Math.floor(random() * items)]!, type: 'view', at: options.baseMs + i });
    batches.push(batch);
  }
  return batches;
}

/**
 * Writes `batches` with `inFlight` writers, each awaiting its
 * `db.signalBatch` before taking the next: 1 is a plain
 * `for (…) await db.signalBatch(batch)` loop. Resolves with the last seqno written.
 */
export async function writeBatches(db: TidalDb, batches: readonly (readonly SignalInput[])[], inFlight = 1): Promise<number> {
  let lastSeq = 0;
  await runWriters(inFlight, batches.length, async (i) => {
    lastSeq = Math.max(lastSeq, await db.signalBatch(batches[i]!));
  });
  return lastSeq;
}

/** Closes every db, even if one fails; rethrows the first failure. */
export async function closeAll(dbs: readonly TidalDb[]): Promise<void> {
  const outcomes = await Promise.allSettled(dbs.map((db) => db.close()));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Seconds since `t0` (a performance.now() reading). */
export function secondsSince(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Lets timers and I/O callbacks run (the WAL flushes on setImmediate). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
