/**
 * Segments stay within maxSegmentBytes plus at most one event (issue 9):
 * a burst no longer becomes one segment of any size (5,000 concurrent
 * writes with maxSegmentBytes 16384 gave one 139 KB segment). In fact
 * within maxSegmentBytes, footer included, unless one event alone is
 * larger: that one gets a segment of its own.
 */
import { describe, expect, it } from 'vitest';
import { TidalDb, type WalSegmentPayload } from '../../src/index.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { tempDir } from '../db/tempDirs.js';

const MAX_SEGMENT_BYTES = 16_384;
/** Generous for one signal event of these ids: its tuple is well under 100 bytes. */
const ONE_EVENT_BYTES = 0; // none of these events alone exceeds a segment: the bound is exact

describe('a segment holds at most maxSegmentBytes plus one event', () => {
  it('an item larger than a segment gets a segment of its own; the writes around it stay within the bound', async () => {
    const db = await TidalDb.open({ wal: { maxSegmentBytes: MAX_SEGMENT_BYTES } });
    const sealed: WalSegmentPayload[] = [];
    db.wal.sealed$.subscribe((p) => sealed.push(p));
    void db.signalBatch(Array.from({ length: 300 }, (_, i) => ({ itemId: `a${i}`, type: 'view' })));
    void db.writeItem({ id: 'big', text: 'x'.repeat(40_000) });
    await db.signalBatch(Array.from({ length: 300 }, (_, i) => ({ itemId: `b${i}`, type: 'view' })));
    await db.wal.seal();
    const big = sealed.filter((p) => p.bytes.length > MAX_SEGMENT_BYTES);
    expect(big).toHaveLength(1);
    expect(big[0]!.firstSeq).toBe(big[0]!.lastSeq);
    expect(db.getItem('big')?.text).toHaveLength(40_000);
  });

  for (const where of ['memory', 'file'] as const) {
    it(`5,000 concurrent writes and a batch of 20,000 seal into segments within the bound, every event kept in order (${where})`, async () => {
      const db = await TidalDb.open({ dir: where === 'file' ? tempDir('segsize') : undefined, wal: { maxSegmentBytes: MAX_SEGMENT_BYTES, sync: 'none' } });
      const sealed: WalSegmentPayload[] = [];
      db.wal.sealed$.subscribe((p) => sealed.push(p));
      const writes = Array.from({ length: 5_000 }, (_, i) => db.signal({ itemId: `item-${i % 97}`, type: 'view', weight: i % 5 }));
      await Promise.all(writes);
      await db.signalBatch(Array.from({ length: 20_000 }, (_, i) => ({ itemId: `item-${i % 97}`, type: 'like' })));
      await db.wal.seal();
      expect(sealed.length).toBeGreaterThan(5); // 25,000 signals of 97 ids take ~6 bytes each in batch format v3: 8 segments
      for (const p of sealed) expect(p.bytes.length, `segment ${p.segmentId}`).toBeLessThanOrEqual(MAX_SEGMENT_BYTES + ONE_EVENT_BYTES);
      let next = 1;
      for (const p of sealed) {
        const d = decodeSegment(p.bytes, `segment ${p.segmentId}`, 'sealed');
        expect(d.header.firstSeq).toBe(next);
        next = d.lastSeq + 1;
      }
      expect(next - 1).toBe(25_000);
      await db.close();
    });
  }
});
