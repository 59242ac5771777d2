/**
 * Bounded by default (issue 8): with no retention options, a sealed segment
 * goes once a checkpoint covers it and every follower has acked past it
 * (the replication slot), and the sealed bytes kept for a lagging follower
 * are capped (1 GiB with a dir, 64 MiB in memory). History is opt-in.
 */
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { resolveOptions } from '../../src/db/options.js';
import { DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY, DEFAULT_MAX_RETAINED_BYTES_ON_DISK } from '../../src/limits.js';
import { tempDir } from './tempDirs.js';

async function writeAndSeal(db: TidalDb, segments: number, perSegment: number): Promise<void> {
  for (let s = 0; s < segments; s++) {
    for (let i = 0; i < perSegment; i++) void db.signal({ itemId: `i${i % 50}`, type: 'view' });
    await db.wal.seal();
  }
}

describe('with no retention options the log stays bounded while followers keep up', () => {
  for (const where of ['memory', 'file'] as const) {
    it(`a checkpoint drops every sealed segment it covers that every follower acked past (${where})`, async () => {
      const db = await TidalDb.open({ dir: where === 'file' ? tempDir('bounded') : undefined });
      await writeAndSeal(db, 20, 100);
      expect(db.wal.sealedSegments).toHaveLength(20);
      db.retainFrom(db.lastSeq); // the slot: every follower acked everything
      await db.checkpoint();
      // The newest sealed segment stays (open numbers the next one after it); nothing else is needed.
      expect(db.wal.sealedSegments.length).toBeLessThanOrEqual(1);
      await db.close();
    });

    it(`segments a follower still needs stay, up to the cap; the rest go (${where})`, async () => {
      const db = await TidalDb.open({ dir: where === 'file' ? tempDir('bounded-slot') : undefined });
      await writeAndSeal(db, 20, 100);
      db.retainFrom(1_000); // the slowest follower acked seqno 1000: segments holding 1001.. stay
      await db.checkpoint();
      expect(db.wal.sealedSegments[0]!.firstSeq).toBeLessThanOrEqual(1_001);
      expect(db.wal.sealedSegments[0]!.lastSeq).toBeGreaterThan(1_000);
      expect(db.wal.sealedSegments.at(-1)!.lastSeq).toBe(2_000);
      await db.close();
    });
  }

  it('retainSegments keeps history on request (opt-in)', async () => {
    const db = await TidalDb.open({ wal: { retainSegments: 5 } });
    await writeAndSeal(db, 20, 100);
    db.retainFrom(db.lastSeq);
    await db.checkpoint();
    expect(db.wal.sealedSegments).toHaveLength(5);
  });

  it('maxRetainedBytes defaults to 1 GiB with a dir and 64 MiB in memory; Infinity turns the cap off', () => {
    expect(resolveOptions({}).maxRetainedBytes).toBe(DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY);
    expect(resolveOptions({ dir: '/nonexistent' }).maxRetainedBytes).toBe(DEFAULT_MAX_RETAINED_BYTES_ON_DISK);
    expect(resolveOptions({ wal: { maxRetainedBytes: Infinity } }).maxRetainedBytes).toBe(Infinity);
    expect(DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY).toBe(64 * 1024 * 1024);
    expect(DEFAULT_MAX_RETAINED_BYTES_ON_DISK).toBe(1024 * 1024 * 1024);
  });

  it('a follower that never acks holds segments only up to the cap: the oldest covered ones go past it', async () => {
    const db = await TidalDb.open({ wal: { maxRetainedBytes: 20_000 } });
    await writeAndSeal(db, 20, 100);
    db.retainFrom(0);
    await db.checkpoint();
    const held = db.wal.sealedSegments.reduce((n, s) => n + s.byteLength, 0);
    expect(held).toBeLessThanOrEqual(20_000);
    expect(db.wal.sealedSegments.length).toBeGreaterThan(0);
  });

  it('a writer that never checkpoints: a checkpoint runs by itself once half the cap is sealed, so the sealed bytes stay under the cap', async () => {
    const cap = 256 * 1024;
    const db = await TidalDb.open({ wal: { maxRetainedBytes: cap, maxSegmentBytes: 16 * 1024 } });
    let maxHeld = 0;
    for (let round = 0; round < 60; round++) {
      await db.signalBatch(Array.from({ length: 1000 }, (_, i) => ({ itemId: `i${i % 200}`, type: 'view' })));
      await db.wal.seal();
      await new Promise((resolve) => setImmediate(resolve)); // let a triggered checkpoint run
      maxHeld = Math.max(maxHeld, db.wal.sealedSegments.reduce((n, s) => n + s.byteLength, 0));
    }
    const snapshot = db.metrics.snapshot();
    expect(snapshot.gauges['checkpoints.byBytes']).toBeGreaterThan(0);
    expect(snapshot.gauges['checkpoints.failures']).toBe(0);
    expect(maxHeld).toBeLessThanOrEqual(cap);
    await db.close();
  });
});
