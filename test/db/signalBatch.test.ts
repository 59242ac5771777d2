/**
 * Batch ingest (issue 9): signalBatch and writeItemBatch resolve with the
 * last seqno; validation is all or nothing (a bad element fails the whole
 * call with InvalidInput naming its index, and nothing is written); one WAL
 * batch is written, split only at the batch or segment limits.
 */
import { describe, expect, it } from 'vitest';
import { TidalDb, TidalError } from '../../src/index.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tempDirs.js';

const T0 = 1_700_000_000_000;
const signals = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ itemId: `i${(from + i) % 7}`, type: 'view', weight: 1, at: T0 }));

async function rejection(p: Promise<unknown>): Promise<TidalError> {
  try {
    await p;
  } catch (err) {
    return err as TidalError;
  }
  throw new Error('expected a rejection');
}

describe('signalBatch and writeItemBatch resolve with the last seqno', () => {
  for (const where of ['memory', 'file'] as const) {
    it(`writes every element in order, as single writes would, and reads back after reopen (${where})`, async () => {
      const dir = where === 'file' ? tempDir('batch') : undefined;
      const db = await TidalDb.open({ dir, clock: () => T0 });
      expect(await db.writeItemBatch([{ id: 'i0', text: 'zero' }, { id: 'i1', text: 'one' }])).toBe(2);
      expect(await db.signalBatch(signals(100))).toBe(102);
      const single = await TidalDb.open({ clock: () => T0 });
      await single.writeItem({ id: 'i0', text: 'zero' });
      await single.writeItem({ id: 'i1', text: 'one' });
      for (const s of signals(100)) await single.signal(s);
      expect(db.retrieve({ signal: 'view', at: T0 })).toEqual(single.retrieve({ signal: 'view', at: T0 }));
      await db.close();
      if (dir) {
        const reopened = await TidalDb.open({ dir, clock: () => T0 });
        expect(reopened.lastSeq).toBe(102);
        expect(reopened.retrieve({ signal: 'view', at: T0 })).toEqual(single.retrieve({ signal: 'view', at: T0 }));
        await reopened.close();
      }
    });
  }

  it('one call is one moment: signals without `at` take one clock reading, and the future bound is checked against it', async () => {
    let now = 1_000_000;
    const db = await TidalDb.open({ clock: () => now++, maxFutureMs: 10 });
    await db.signalBatch([{ itemId: 'a', type: 'view' }, { itemId: 'b', type: 'view' }, { itemId: 'c', type: 'view', at: 1_000_010 }]);
    expect(db.readDecayScore('a', 'view', 1_000_000)).toBe(db.readDecayScore('b', 'view', 1_000_000));
    now = 1_000_000;
    await expect(db.signalBatch([{ itemId: 'a', type: 'view' }, { itemId: 'd', type: 'view', at: 1_000_011 }])).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('signals[1]') });
    await db.close();
  });

  it('an empty batch writes nothing and resolves with lastSeq', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    await db.signal({ itemId: 'a', type: 'view' });
    expect(await db.signalBatch([])).toBe(1);
    expect(db.wal.unsealedEvents).toBe(1);
  });
});

describe('validation is all or nothing: a bad element fails the whole call naming its index', () => {
  it('signals[57] with a NaN weight: InvalidInput naming signals[57] and weight; lastSeq and the WAL unchanged', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    await db.signal({ itemId: 'a', type: 'view' });
    const batch = signals(100);
    (batch[57] as { weight: number }).weight = Number.NaN;
    const err = await rejection(db.signalBatch(batch));
    expect(err).toBeInstanceOf(TidalError);
    expect(err.code).toBe('InvalidInput');
    expect(err.message).toMatch(/^signals\[57\]: weight/);
    expect(db.lastSeq).toBe(1);
    expect(db.wal.unsealedEvents).toBe(1);
    expect(db.readDecayScore('i0', 'view', T0)).toBe(0);
    expect(await db.signalBatch(signals(3))).toBe(4);
  });

  it('items[1] with cyclic fields, and arguments that are not arrays, are InvalidInput and write nothing', async () => {
    const db = await TidalDb.open();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((await rejection(db.writeItemBatch([{ id: 'a' }, { id: 'b', fields: cyclic }]))).message).toMatch(/^items\[1\]: fields/);
    expect((await rejection(db.signalBatch(null as never))).message).toMatch(/signals must be an array/);
    expect((await rejection(db.writeItemBatch({ length: 1 } as never))).code).toBe('InvalidInput');
    expect(db.lastSeq).toBe(0);
  });

  it('a follower refuses batches with ReadOnly', async () => {
    const follower = await TidalDb.open({ role: 'follower' });
    expect((await rejection(follower.signalBatch(signals(2)))).code).toBe('ReadOnly');
  });
});

describe('one WAL batch, split only at the batch or segment limits', () => {
  it('1000 signals seal into one segment holding one batch', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    await db.signalBatch(signals(1000));
    const sealed = (await db.wal.seal())!;
    const decoded = decodeSegment(sealed.bytes, 'batch', 'sealed');
    expect(decoded.batches.map((b) => [b.firstSeq, b.lastSeq])).toEqual([[1, 1000]]);
  });

  it('a batch past the 8192-event limit and across many segments resolves once every event is written, under fsync', async () => {
    const dir = tempDir('batch-span');
    const db = await TidalDb.open({ dir, clock: () => T0, wal: { sync: 'fsync', maxSegmentBytes: 16 * 1024 } });
    expect(await db.signalBatch(signals(20_000))).toBe(20_000);
    // A copy of the directory taken now (the lock file left out) holds every event: nothing was still queued.
    const copy = tempDir('batch-span-copy');
    for (const name of readdirSync(dir)) if (name.endsWith('.wal') || name.endsWith('.wals')) copyFileSync(join(dir, name), join(copy, name));
    await db.close();
    const reopened = await TidalDb.open({ dir: copy, clock: () => T0 });
    expect(reopened.lastSeq).toBe(20_000);
    expect(reopened.readDecayScore('i0', 'view', T0)).toBeCloseTo(Math.ceil(20_000 / 7), 6);
    await reopened.close();
  });

  it('20000 signals split at the 8192-event batch limit', async () => {
    const db = await TidalDb.open({ clock: () => T0, wal: { maxSegmentBytes: 64 * 1024 * 1024 } });
    await db.signalBatch(signals(20_000));
    const decoded = decodeSegment((await db.wal.seal())!.bytes, 'batch', 'sealed');
    expect(decoded.batches.map((b) => b.lastSeq - b.firstSeq + 1)).toEqual([8192, 8192, 3616]);
  });
});
