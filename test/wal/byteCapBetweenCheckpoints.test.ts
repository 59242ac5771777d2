/**
 * wal.maxRetainedBytes holds between checkpoints too: after a checkpoint,
 * each later seal (or stored segment) drops the oldest segments that
 * checkpoint covers while the sealed bytes exceed the cap, rather than
 * waiting for the next checkpoint. Segments no checkpoint covers are never
 * dropped (a reopen or a bootstrapping follower needs them);
 * `wal.bytesSinceRetention` counts them, for a checkpoint to be triggered.
 */
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { tempDir } from '../db/tempDirs.js';

/**
 * Below the bytes of the 60 segments written before the checkpoint (~45 KB in
 * batch format v3, ~750 bytes a segment of 100 signals), and below those of
 * the ROUNDS segments written after it (~15 KB), so both halves of the rule show.
 */
const CAP = 8_000;
const ROUNDS = 20;

async function writeAndSeal(db: TidalDb, segments: number, perSegment: number): Promise<void> {
  for (let s = 0; s < segments; s++) {
    for (let i = 0; i < perSegment; i++) void db.signal({ itemId: `i${i % 50}`, type: 'view' });
    await db.wal.seal();
  }
}

describe('the byte cap of retention holds between checkpoints', () => {
  for (const where of ['memory', 'file'] as const) {
    it(`seals after a checkpoint drop the covered segments past maxRetainedBytes at once (${where})`, async () => {
      const db = await TidalDb.open({ dir: where === 'file' ? tempDir('bytecap') : undefined, wal: { maxRetainedBytes: CAP, sync: 'none', checkpointAfterBytes: Infinity } }); // checkpoints only when asked
      db.retainFrom(0); // a follower that acked nothing: only the cap lets segments go
      await writeAndSeal(db, 60, 100);
      expect(db.wal.bytesSinceRetention).toBe(db.wal.sealedBytes);
      const checkpointSeq = await db.checkpoint();
      expect(db.wal.sealedBytes).toBeLessThanOrEqual(CAP);
      expect(db.wal.bytesSinceRetention).toBe(0);
      for (let round = 0; round < ROUNDS; round++) {
        await writeAndSeal(db, 1, 100);
        await db.wal.mergesSettled();
        const uncovered = db.wal.sealedSegments.filter((s) => s.lastSeq > checkpointSeq).reduce((n, s) => n + s.byteLength, 0);
        expect(db.wal.sealedBytes, `after ${round + 1} more seals`).toBeLessThanOrEqual(Math.max(CAP, uncovered));
        expect(db.wal.sealedSegments.some((s) => s.lastSeq > checkpointSeq)).toBe(true);
        expect(db.wal.bytesSinceRetention).toBe(uncovered);
      }
      // Uncovered segments alone now exceed the cap: every covered one is gone, no uncovered one is.
      expect(db.wal.sealedSegments[0]!.firstSeq).toBe(checkpointSeq + 1);
      expect(db.wal.sealedSegments.at(-1)!.lastSeq).toBe(db.lastSeq);
      await db.close();
    });
  }
});
