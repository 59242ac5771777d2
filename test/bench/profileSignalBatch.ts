/**
 * Ad-hoc profile of `db.signalBatch` of 1,000 in memory (issue 9's row
 * "signalBatch of 1,000, in memory ≥ 3M signals/s"): N signals over M items
 * in batches of 1,000, each awaited before the next. Prints one JSON line.
 *
 *   node --expose-gc [--cpu-prof] dist/test/bench/profileSignalBatch.js <signals> <items>
 */
import { TidalDb, type SignalInput } from '../../src/index.js';
import { itemIds, rng } from './workload.js';

const BATCH = 1000;

async function main(): Promise<void> {
  const [signals = 1_000_000, items = 100_000] = process.argv.slice(2).map(Number);
  const ids = itemIds(items);
  const random = rng(7);
  const baseMs = Date.now();
  const batches: SignalInput[][] = [];
  for (let start = 0; start < signals; start += BATCH) {
    const batch: SignalInput[] = [];
    for (let i = start; i < Math.min(signals, start + BATCH); i++) batch.push({ itemId: ids[Math.floor(random() * items)]!, type: 'view', at: baseMs + i });
    batches.push(batch);
  }
  globalThis.gc?.();
  const db = await TidalDb.open();
  try {
    const t0 = performance.now();
    for (const batch of batches) await db.signalBatch(batch);
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`${JSON.stringify({ signals, items, batch: BATCH, signalsPerSec: Math.round(signals / seconds), lastSeq: db.lastSeq })}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
