/**
 * Ad-hoc check that the ledger's apply path makes no garbage per event
 * (issue 9, "a hot path without per-event garbage"): replays N signals over
 * M items through `applySignalFields` once to warm up (every item seen, the
 * code optimized), then replays N more under V8's sampling heap profiler,
 * counting objects a minor GC collects too, and prints the bytes allocated
 * per event and the functions that allocated them.
 *
 *   node dist/test/bench/profileAllocations.js <signals> <items> [servedReads 0|1]
 *
 * servedReads 1 runs one `best` after the first thousand events, so every
 * later add also keeps the cached top-k up to date.
 */
import { Session } from 'node:inspector/promises';
import { applySignalFields, DbState } from '../../src/db/dbState.js';
import { defaultHalfLives } from '../../src/ledger/halfLives.js';
import { itemIds, rng } from './workload.js';

/** Sample every 256 bytes allocated: a 16-byte number boxed per event shows as ~16 B/event. */
const SAMPLING_INTERVAL_BYTES = 256;
const BASE_MS = 1_700_000_000_000;

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/**
 * Times as boxed numbers made before profiling: an array that once held an
 * object keeps tagged elements, so reading one hands over the existing
 * number (a Float64Array or a double array would box each one anew when it
 * is passed to a call that is not inlined, and the harness would count
 * its own garbage).
 */
function boxedTimes(fromMs: number, count: number): readonly number[] {
  const times: unknown[] = [{}];
  for (let i = 0; i < count; i++) times[i] = fromMs + i;
  return times as number[];
}

/** Replays `pick` from seqno `firstSeq`. */
function replay(state: DbState, ids: readonly string[], pick: Uint32Array, times: readonly number[], firstSeq: number, servedReads: boolean): void {
  for (let i = 0; i < pick.length; i++) {
    applySignalFields(state, firstSeq + i, ids[pick[i]!]!, 'view', 1, times[i]!);
    if (servedReads && firstSeq === 1 && i === 1000) state.ledger.best('view', 10, times[i]!);
  }
}

function bySite(node: ProfileNode, out: Map<string, number>): Map<string, number> {
  const f = node.callFrame;
  const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  if (node.selfSize > 0) out.set(site, (out.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) bySite(child, out);
  return out;
}

async function main(): Promise<void> {
  const [signals = 1_000_000, items = 100_000, servedReads = 0] = process.argv.slice(2).map(Number);
  const ids = itemIds(items);
  const random = rng(11);
  const pick = Uint32Array.from({ length: signals }, () => Math.floor(random() * items));
  const warmTimes = boxedTimes(BASE_MS, signals);
  const times = boxedTimes(BASE_MS + signals, signals);
  const state = new DbState(defaultHalfLives());
  replay(state, ids, pick, warmTimes, 1, servedReads === 1);
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL_BYTES, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  replay(state, ids, pick, times, signals + 1, servedReads === 1);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  const sites = [...bySite(profile.head as unknown as ProfileNode, new Map())].sort((a, b) => b[1] - a[1]);
  const total = sites.reduce((sum, [, bytes]) => sum + bytes, 0);
  process.stdout.write(`${JSON.stringify({
    signals, items, servedReads, bytesPerEvent: +(total / signals).toFixed(2),
    sites: sites.slice(0, 5).map(([site, bytes]) => `${(bytes / signals).toFixed(2)} B/event ${site}`),
  })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
