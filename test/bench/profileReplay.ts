/**
 * Ad-hoc profile of the replay hot path (issue 9, "a hot path without
 * per-event garbage"): N signals over M items applied one by one through
 * `applySignalFields`, as the columnar segment decoder calls it, with no WAL
 * and no decoding around it. Prints one JSON line: events/s, and the heap
 * and RSS the state holds afterwards (after GC).
 *
 *   node --expose-gc [--cpu-prof] dist/test/bench/profileReplay.js <signals> <items> [types] [servedReads 0|1]
 *
 * With servedReads 1, one retrieve-like `best` runs after the first
 * thousand events, as on a follower that serves reads while it replays:
 * from then on every add keeps the cached top-k up to date.
 *
 * Item ids come from one prebuilt array, as a per-batch dictionary gives
 * the same string objects again; times rise by 1 ms per event.
 */
import { applySignalFields, DbState } from '../../src/db/dbState.js';
import { defaultHalfLives } from '../../src/ledger/halfLives.js';
import { itemIds, rng } from './workload.js';

const MB = 1024 * 1024;

function main(): void {
  const [signals = 1_000_000, items = 100_000, types = 1, servedReads = 0] = process.argv.slice(2).map(Number);
  const ids = itemIds(items);
  const typeNames = Array.from({ length: types }, (_, i) => (i === 0 ? 'view' : `type${i}`));
  const random = rng(11);
  const pick = Uint32Array.from({ length: signals }, () => Math.floor(random() * items));
  globalThis.gc?.();
  const before = process.memoryUsage();
  const state = new DbState(defaultHalfLives());
  const baseMs = 1_700_000_000_000;
  const t0 = performance.now();
  for (let i = 0; i < signals; i++) {
    applySignalFields(state, i + 1, ids[pick[i]!]!, typeNames[i % types]!, 1, baseMs + i);
    if (servedReads === 1 && i === 1000) state.ledger.best('view', 10, baseMs + i);
  }
  const seconds = (performance.now() - t0) / 1000;
  globalThis.gc?.();
  const after = process.memoryUsage();
  const top = state.ledger.best('view', 10, baseMs + signals);
  process.stdout.write(`${JSON.stringify({
    signals, items, types, servedReads, eventsPerSec: Math.round(signals / seconds),
    heapGrowthMb: +((after.heapUsed - before.heapUsed) / MB).toFixed(1),
    arrayBuffersGrowthMb: +((after.arrayBuffers - before.arrayBuffers) / MB).toFixed(1),
    rssMb: +(after.rss / MB).toFixed(1), top: top[0]?.id,
  })}\n`);
}

main();
