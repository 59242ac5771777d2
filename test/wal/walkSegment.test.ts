/**
 * walkSegment (src/wal/decodeSegment.ts): recovery's decoder, which hands
 * each batch out as soon as it is decoded and checked instead of keeping
 * them all.
 *
 * - the header comes first, then every batch in order, and the summary is
 *   decodeSegment's without its batches;
 * - a torn tail (active mode) stops before the torn batch: what was handed
 *   out is exactly the intact batches;
 * - a sealed segment with a flipped byte in its last batch still fails
 *   with 'Corruption' (after the batches before it were handed out, which is
 *   why a follower decodes whole instead);
 * - an error thrown by the visitor is the caller's, never read as a torn tail.
 */
import { describe, expect, it } from 'vitest';
import { WalError } from '../../src/errors.js';
import type { WalEvent } from '../../src/events.js';
import { encodeBatch } from '../../src/wal/batch.js';
import { decodeSegment, type DecodedBatch, walkSegment } from '../../src/wal/decodeSegment.js';
import { FOOTER_BYTES } from '../../src/wal/segmentFooter.js';
import { SEGMENT_OF_MS, sealedSegmentOf } from './fixtures/sealedSegmentOf.js';

function batchOf(firstSeq: number, n: number): Uint8Array {
  const events: WalEvent[] = Array.from({ length: n }, (_, i) => ({ kind: 'signal', seq: firstSeq + i, itemId: `item-${(firstSeq + i) % 7}`, type: 'view', weight: 1, at: SEGMENT_OF_MS + i }));
  return encodeBatch(0, events, SEGMENT_OF_MS);
}

const batches = [batchOf(1, 5), batchOf(6, 3), batchOf(9, 4)];

describe('walkSegment', () => {
  it('hands out the header, then every batch in order, and sums up as decodeSegment does', () => {
    const bytes = sealedSegmentOf(batches);
    const seen: string[] = [];
    const summary = walkSegment(bytes, 'seg', 'sealed', {
      onHeader: (h) => seen.push(`header ${h.firstSeq}`),
      onBatch: (b) => seen.push(`batch ${b.firstSeq}..${b.lastSeq}`),
    });
    expect(seen).toEqual(['header 1', 'batch 1..5', 'batch 6..8', 'batch 9..12']);
    const { batches: decodedBatches, ...whole } = decodeSegment(bytes, 'seg', 'sealed');
    expect(summary).toEqual(whole);
    expect(summary.eventCount).toBe(12);
    expect(decodedBatches.reduce((n, b) => n + b.eventCount, 0)).toBe(12);
  });

  it('stops a torn tail before the torn batch: only the intact batches are handed out', () => {
    const sealed = sealedSegmentOf(batches);
    const active = sealed.subarray(0, sealed.length - FOOTER_BYTES - 10); // the last batch cut short, no footer
    const handed: DecodedBatch[] = [];
    const summary = walkSegment(active, 'seg', 'active', { onBatch: (b) => void handed.push(b) });
    expect(handed.map((b) => b.firstSeq)).toEqual([1, 6]);
    expect(summary.torn).not.toBeNull();
    expect(summary.lastSeq).toBe(8);
    expect(summary.eventCount).toBe(8);
  });

  it('still refuses a flipped byte in a sealed segment with Corruption', () => {
    const bytes = Uint8Array.from(sealedSegmentOf(batches));
    bytes[bytes.length - FOOTER_BYTES - 3]! ^= 0x40; // inside the last batch's payload
    let err: unknown;
    try {
      walkSegment(bytes, 'seg', 'sealed', { onBatch: () => {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WalError);
    expect((err as WalError).code).toBe('Corruption');
  });

  it('passes an error the visitor throws through as it is, even on the last batch of an active segment', () => {
    const sealed = sealedSegmentOf(batches);
    const active = sealed.subarray(0, sealed.length - FOOTER_BYTES);
    const mine = new Error('apply failed');
    expect(() => walkSegment(active, 'seg', 'active', { onBatch: (b) => { if (b.firstSeq === 9) throw mine; } })).toThrow(mine);
  });
});
