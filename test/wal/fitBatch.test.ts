import { describe, expect, it } from 'vitest';
import type { WalEvent } from '../../src/events.js';
import { MAX_BATCH_EVENTS } from '../../src/limits.js';
import { fitBatch } from '../../src/wal/fitBatch.js';

const events: WalEvent[] = Array.from({ length: 100 }, (_, i) => ({ kind: 'signal', seq: i + 1, itemId: `i${i}`, type: 'view', weight: 1, at: 0 }));
/** 10 bytes per event: easy to reason about. */
const encode = (chunk: readonly WalEvent[]) => new Uint8Array(10 * chunk.length);

describe('fitBatch', () => {
  it('takes everything from `from` when it fits the room', () => {
    const { chunk, bytes } = fitBatch(events, 20, 10_000, encode);
    expect(chunk.map((e) => e.seq)).toEqual(events.slice(20).map((e) => e.seq));
    expect(bytes.length).toBe(800);
  });

  it('cuts a run that does not fit to one that does', () => {
    const { chunk, bytes } = fitBatch(events, 0, 255, encode);
    expect(bytes.length).toBeLessThanOrEqual(255);
    expect(chunk.length).toBeGreaterThanOrEqual(20);
    expect(chunk[0]!.seq).toBe(1);
  });

  it('returns one event, even if it does not fit (the caller seals, or gives it a segment of its own)', () => {
    const { chunk, bytes } = fitBatch(events, 5, 3, encode);
    expect(chunk.map((e) => e.seq)).toEqual([6]);
    expect(bytes.length).toBe(10);
  });

  it('never takes more than MAX_BATCH_EVENTS', () => {
    const many: WalEvent[] = Array.from({ length: MAX_BATCH_EVENTS + 5 }, (_, i) => ({ kind: 'signal', seq: i + 1, itemId: 'a', type: 'view', weight: 1, at: 0 }));
    expect(fitBatch(many, 0, Infinity, encode).chunk.length).toBe(MAX_BATCH_EVENTS);
  });
});
