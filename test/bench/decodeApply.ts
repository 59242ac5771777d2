/**
 * The WAL format on the bench workload (test/bench/workload.ts: signals of
 * type 'view', weight 1, ms timestamps increasing by 1, items picked
 * uniformly from 5,000 or 100k): bytes per signal in 1,000-signal batches,
 * and what a follower spends per event to verify (verifyPayload: the whole
 * segment's BLAKE3 and the decode) and apply (applyDecodedSegment) a segment.
 *
 * Ad hoc, not part of `npm run bench`: it prints one JSON line per item
 * count. Run it with the repo compiled, e.g.
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

function buildSegments(items: number): WalSegmentPayload[] {
  const ids = itemIds(items);
  const random = rng(23);
  const baseMs = 1_700_000_000_000;
  const out: WalSegmentPayload[] = [];
  let seq = 1;
  for (let s = 0; s < SEGMENTS; s++) {
    const firstSeq = seq;
    const header = encodeSegmentHeader({
      shardId: 0, segmentId: s + 1, firstSeq, createdAtMs: baseMs, regionId: 'bench',
      halfLives: HALF_LIVES, epoch: 0, epochStartSeq: 1, epochHistory: [],
    });
    const chunks: Uint8Array[] = [header];
    for (let b = 0; b < BATCHES_PER_SEGMENT; b++) {
      const events: WalEvent[] = [];
      for (let i = 0; i < BATCH_SIGNALS; i++, seq++) {
        events.push({ kind: 'signal', seq, itemId: ids[Math.floor(random() * items)]!, type: 'view', weight: 1, at: baseMs + seq });
      }
      chunks.push(encodeBatch(0, events, baseMs + seq));
    }
    const prefix = createHasher();
    for (const c of chunks) prefix.update(c);
    chunks.push(encodeSegmentFooter({ eventCount: seq - firstSeq, lastSeq: seq - 1, sealedAtMs: baseMs + seq }, prefix));
    const bytes = Buffer.concat(chunks);
    out.push({ shardId: 0, segmentId: s + 1, firstSeq, lastSeq: seq - 1, sealedAtMs: baseMs + seq, bytes, checksum: Checksum.of(bytes) });
  }
  return out;
}

/** One pass: verify and apply every segment into a fresh state; returns seconds spent in each. */
function pass(segments: readonly WalSegmentPayload[]): { verifySeconds: number; applySeconds: number } {
  const state = new DbState(HALF_LIVES);
  let verifyMs = 0;
  let applyMs = 0;
  for (const payload of segments) {
    const t0 = performance.now();
    const decoded = verifyPayload(payload);
    const t1 = performance.now();
    applyDecodedSegment(state, payload, decoded);
    applyMs += performance.now() - t1;
    verifyMs += t1 - t0;
  }
  return { verifySeconds: verifyMs / 1000, applySeconds: applyMs / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

for (const items of [5000, 100_000]) {
  const segments = buildSegments(items);
  const events = SEGMENTS * BATCHES_PER_SEGMENT * BATCH_SIGNALS;
  const bytes = segments.reduce((n, s) => n + s.bytes.length, 0);
  pass(segments); // warm-up
  const runs = Array.from({ length: ROUNDS }, () => {
    (globalThis as { gc?: () => void }).gc?.();
    return pass(segments);
  });
  const verify = median(runs.map((r) => r.verifySeconds));
  const apply = median(runs.map((r) => r.applySeconds));
  const both = median(runs.map((r) => r.verifySeconds + r.applySeconds));
  console.log(JSON.stringify({
    items, events, bytesPerSignal: +(bytes / events).toFixed(2),
    verifyEventsPerSec: Math.round(events / verify), applyEventsPerSec: Math.round(events / apply), verifyAndApplyEventsPerSec: Math.round(events / both),
  }));
}
