/**
 * The WAL format on the bench workload (test/bench/workload.ts: signals of
 * type 'view', weight 1, ms timestamps increasing by 1, items picked
 * uniformly from 5,000 or 100k): bytes per signal in 1,000-signal batches,
 * and what a follower spends per event to verify (verifyPayload: the whole
 * segment's BLAKE3 and the decode) and apply (applyDecodedSegment) a segment.
 *
 * Times are CPU seconds of this process (medians of 5 rounds), so other
 * work on the machine distorts them less than wall time. Ad hoc, not part
 * of `npm run bench`: it prints one JSON line per item count, with the
 * leader's encode rate too. Run it with the repo compiled, e.g.
 *
 *   npx tsc -p tsconfig.build.json --outDir /tmp/tidal-bench && node --expose-gc /tmp/tidal-bench/test/bench/decodeApply.js
 */
import { Checksum, createHasher } from '../../src/checksum.js';
import { applyDecodedSegment } from '../../src/db/applySegment.js';
import { DbState } from '../../src/db/dbState.js';
import type { WalEvent } from '../../src/events.js';
import { encodeBatch } from '../../src/wal/batch.js';
import { encodeSegmentFooter } from '../../src/wal/segmentFooter.js';
import { encodeSegmentHeader } from '../../src/wal/segmentHeader.js';
import { verifyPayload } from '../../src/wal/verifyPayload.js';
import type { WalSegmentPayload } from '../../src/wal/walSegmentPayload.js';
import { itemIds, rng } from './workload.js';

/** 1,000 signals a batch: the batch size the format's goal (≤ 12 bytes a signal) is stated for. */
const BATCH_SIGNALS = 1000;
/** 100 batches a segment: 100k signals, about the events a default 4 MiB segment holds. */
const BATCHES_PER_SEGMENT = 100;
const SEGMENTS = 10;
const ROUNDS = 5;
const HALF_LIVES = { defaultMs: 3_600_000, byType: new Map<string, number>() };
const BASE_MS = 1_700_000_000_000;

/** The bench workload's signals, in batches of BATCH_SIGNALS, seqnos from 1. */
function workloadBatches(items: number): WalEvent[][] {
  const ids = itemIds(items);
  const random = rng(23);
  const batches: WalEvent[][] = [];
  let seq = 1;
  for (let b = 0; b < SEGMENTS * BATCHES_PER_SEGMENT; b++) {
    const events: WalEvent[] = [];
    for (let i = 0; i < BATCH_SIGNALS; i++, seq++) {
      events.push({ kind: 'signal', seq, itemId: ids[Math.floor(random() * items)]!, type: 'view', weight: 1, at: BASE_MS + seq });
    }
    batches.push(events);
  }
  return batches;
}

/** Encodes every batch; returns them and the CPU seconds encoding took. */
function encodeAll(batches: readonly WalEvent[][]): { encoded: Uint8Array[]; seconds: number } {
  const t0 = cpuSeconds();
  const encoded = batches.map((events) => encodeBatch(0, events, BASE_MS + events[0]!.seq));
  return { encoded, seconds: cpuSeconds() - t0 };
}

function buildSegments(batches: readonly WalEvent[][], encoded: readonly Uint8Array[]): WalSegmentPayload[] {
  const out: WalSegmentPayload[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const first = s * BATCHES_PER_SEGMENT;
    const firstSeq = batches[first]![0]!.seq;
    const lastSeq = batches[first + BATCHES_PER_SEGMENT - 1]!.at(-1)!.seq;
    const header = encodeSegmentHeader({
      shardId: 0, segmentId: s + 1, firstSeq, createdAtMs: BASE_MS, regionId: 'bench',
      halfLives: HALF_LIVES, epoch: 0, epochStartSeq: 1, epochHistory: [],
    });
    const chunks: Uint8Array[] = [header, ...encoded.slice(first, first + BATCHES_PER_SEGMENT)];
    const prefix = createHasher();
    for (const c of chunks) prefix.update(c);
    chunks.push(encodeSegmentFooter({ eventCount: lastSeq - firstSeq + 1, lastSeq, sealedAtMs: BASE_MS + lastSeq }, prefix));
    const bytes = Buffer.concat(chunks);
    out.push({ shardId: 0, segmentId: s + 1, firstSeq, lastSeq, sealedAtMs: BASE_MS + lastSeq, bytes, checksum: Checksum.of(bytes) });
  }
  return out;
}

/** CPU seconds this process has used (user + system): steadier than wall time on a machine other work shares. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** One pass: verify and apply every segment into a fresh state; returns CPU seconds spent in each. */
function pass(segments: readonly WalSegmentPayload[]): { verifySeconds: number; applySeconds: number } {
  const state = new DbState(HALF_LIVES);
  let verify = 0;
  let apply = 0;
  for (const payload of segments) {
    const t0 = cpuSeconds();
    const decoded = verifyPayload(payload);
    const t1 = cpuSeconds();
    applyDecodedSegment(state, payload, decoded);
    apply += cpuSeconds() - t1;
    verify += t1 - t0;
  }
  return { verifySeconds: verify, applySeconds: apply };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

for (const items of [5000, 100_000]) {
  const batches = workloadBatches(items);
  const events = SEGMENTS * BATCHES_PER_SEGMENT * BATCH_SIGNALS;
  encodeAll(batches); // warm-up
  const encodes = Array.from({ length: ROUNDS }, () => encodeAll(batches).seconds);
  const segments = buildSegments(batches, encodeAll(batches).encoded);
  const bytes = segments.reduce((n, s) => n + s.bytes.length, 0);
  pass(segments); // warm-up
  const runs = Array.from({ length: ROUNDS }, () => {
    (globalThis as { gc?: () => void }).gc?.();
    return pass(segments);
  });
  const perSec = (seconds: number) => Math.round(events / seconds);
  console.log(JSON.stringify({
    items, events, bytesPerSignal: +(bytes / events).toFixed(2),
    encodeEventsPerSec: perSec(median(encodes)),
    verifyEventsPerSec: perSec(median(runs.map((r) => r.verifySeconds))),
    applyEventsPerSec: perSec(median(runs.map((r) => r.applySeconds))),
    verifyAndApplyEventsPerSec: perSec(median(runs.map((r) => r.verifySeconds + r.applySeconds))),
  }));
}
