/**
 * Writes validate first: a bad write is refused with a TidalError naming the
 * field, and nothing is written (lastSeq, the WAL and the files stay as
 * they were). Use after close is 'Closed'; writes on a follower are 'ReadOnly'.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb, TidalError } from '../../src/index.js';
import { tempDir } from './tempDirs.js';

const clock = () => 1_700_000_000_000;

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<TidalError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(TidalError);
    return err as TidalError;
  }
  throw new Error('expected a rejection, got a result');
}

/** Every file in `dir` with its size: what "nothing written" means on disk. */
function listing(dir: string): Record<string, number> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.statSync(path.join(dir, f)).size]));
}

const kib = 1024;
const badSignals: Array<[string, Record<string, unknown>, string]> = [
  ['missing itemId', { type: 'like' }, 'itemId'],
  ['empty itemId', { itemId: '', type: 'like' }, 'itemId'],
  ['non-string itemId', { itemId: 7, type: 'like' }, 'itemId'],
  ['itemId over 1 KiB of UTF-8', { itemId: 'é'.repeat(kib / 2 + 1), type: 'like' }, 'itemId'],
  ['missing type', { itemId: 'a' }, 'type'],
  ['empty type', { itemId: 'a', type: '' }, 'type'],
  ['NaN weight', { itemId: 'a', type: 'like', weight: NaN }, 'weight'],
  ['infinite weight', { itemId: 'a', type: 'like', weight: Infinity }, 'weight'],
  ['-infinite weight', { itemId: 'a', type: 'like', weight: -Infinity }, 'weight'],
  ['string weight', { itemId: 'a', type: 'like', weight: '2' }, 'weight'],
  ['NaN at', { itemId: 'a', type: 'like', at: NaN }, 'at'],
  ['infinite at', { itemId: 'a', type: 'like', at: Infinity }, 'at'],
  ['unknown field', { itemId: 'a', type: 'like', wieght: 2 }, 'wieght'],
];
const badItems: Array<[string, Record<string, unknown>, string]> = [
  ['missing id', { text: 'x' }, 'id'],
  ['empty id', { id: '' }, 'id'],
  ['id over 1 KiB of UTF-8', { id: 'x'.repeat(kib + 1) }, 'id'],
  ['multi-byte id over 1 KiB of UTF-8', { id: '😀'.repeat(kib / 4 + 1) }, 'id'],
  ['unknown field', { id: 'a', title: 'x' }, 'title'],
  ['non-string text', { id: 'a', text: 42 }, 'text'],
  ['array fields', { id: 'a', fields: [1, 2] }, 'fields'],
];

describe('writes validate first: a bad write is InvalidInput naming the field and writes nothing', () => {
  for (const [name, input, field] of badSignals) {
    it(`signal with ${name} is refused naming ${field}, lastSeq and the WAL unchanged`, async () => {
      const db = await TidalDb.open({ clock });
      await db.signal({ itemId: 'seed', type: 'like' });
      await db.wal.seal();
      const err = await rejection(db.signal(input as never));
      expect(err.code).toBe('InvalidInput');
      expect(err.message).toContain(field);
      expect(db.lastSeq).toBe(1);
      expect(db.wal.unsealedEvents).toBe(0);
      expect(await db.wal.seal()).toBeNull();
      expect(db.wal.sealedSegments).toHaveLength(1);
      expect(db.metrics.snapshot().gauges['writes.signals']).toBe(1);
      await db.close();
    });
  }

  for (const [name, input, field] of badItems) {
    it(`writeItem with ${name} is refused naming ${field}, lastSeq and the WAL unchanged`, async () => {
      const db = await TidalDb.open({ clock });
      await db.writeItem({ id: 'seed', text: 'seed' });
      await db.wal.seal();
      const err = await rejection(db.writeItem(input as never));
      expect(err.code).toBe('InvalidInput');
      expect(err.message).toContain(field);
      expect(db.lastSeq).toBe(1);
      expect(db.wal.unsealedEvents).toBe(0);
      expect(await db.wal.seal()).toBeNull();
      expect(db.wal.sealedSegments).toHaveLength(1);
      await db.close();
    });
  }

  it('ids and types of exactly 1 KiB of UTF-8 are accepted (the limit is inclusive)', async () => {
    const db = await TidalDb.open({ clock });
    const id = 'é'.repeat(kib / 2);
    expect(Buffer.byteLength(id)).toBe(kib);
    await expect(db.writeItem({ id })).resolves.toBe(1);
    await expect(db.signal({ itemId: id, type: 'like' })).resolves.toBe(2);
    await db.close();
  });

  it('a refused write on a file-backed database leaves every file byte-for-byte as it was', async () => {
    const dir = tempDir('validate');
    const db = await TidalDb.open({ dir, clock });
    await db.signal({ itemId: 'seed', type: 'like' });
    await db.flush();
    const before = listing(dir);
    for (const [, input] of badSignals) await rejection(db.signal(input as never));
    for (const [, input] of badItems) await rejection(db.writeItem(input as never));
    await db.flush();
    expect(listing(dir)).toEqual(before);
    expect(db.lastSeq).toBe(1);
    await db.close();
    const reopened = await TidalDb.open({ dir, clock });
    expect(reopened.lastSeq).toBe(1);
    await reopened.close();
  });

  it('a refused write does not consume a seqno: the next good write takes the next one', async () => {
    const db = await TidalDb.open({ clock });
    await db.signal({ itemId: 'a', type: 'like' });
    await rejection(db.signal({ itemId: 'a', type: 'like', weight: NaN }));
    await expect(db.signal({ itemId: 'a', type: 'like' })).resolves.toBe(2);
    await db.close();
  });
});

describe('open validates its options: an unknown option is InvalidInput naming it', () => {
  const badOptions: Array<[string, Record<string, unknown>, string]> = [
    ['unknown top-level option', { halfLife: 10 }, 'halfLife'],
    ['unknown wal option', { wal: { segmentBytes: 4096 } }, 'segmentBytes'],
    ['bad role', { role: 'replica' }, 'role'],
    ['bad sync mode', { wal: { sync: 'always' } }, 'sync'],
    ['non-positive half-life', { halfLifeMs: 0 }, 'halfLifeMs'],
    ['non-finite per-type half-life', { halfLifeMs: { like: Infinity } }, 'like'],
    ['segment size below the minimum', { wal: { maxSegmentBytes: 10 } }, 'maxSegmentBytes'],
  ];
  for (const [name, options, field] of badOptions) {
    it(`${name} is refused naming ${field}`, async () => {
      const err = await rejection(TidalDb.open(options as never));
      expect(err.code).toBe('InvalidInput');
      expect(err.message).toContain(field);
    });
  }

  it('a refused open creates no directory', async () => {
    const dir = path.join(tempDir('refused-open'), 'never');
    await rejection(TidalDb.open({ dir, halfLife: 10 } as never));
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('use after close is Closed', () => {
  it('writes, reads, flush and checkpoint after close reject or throw with code Closed', async () => {
    const db = await TidalDb.open({ clock });
    await db.signal({ itemId: 'a', type: 'like' });
    await db.close();
    expect((await rejection(db.signal({ itemId: 'a', type: 'like' }))).code).toBe('Closed');
    expect((await rejection(db.writeItem({ id: 'a' }))).code).toBe('Closed');
    expect((await rejection(() => db.readDecayScore('a', 'like'))).code).toBe('Closed');
    expect((await rejection(() => db.retrieve({ signal: 'like' }))).code).toBe('Closed');
    expect((await rejection(() => db.search({ text: 'a' }))).code).toBe('Closed');
    expect((await rejection(db.flush())).code).toBe('Closed');
    expect((await rejection(db.checkpoint())).code).toBe('Closed');
  });

  it('closing twice is harmless', async () => {
    const db = await TidalDb.open({ clock });
    await db.close();
    await expect(db.close()).resolves.toBeUndefined();
  });
});

describe('a follower is read-only: signal() and writeItem() reject with ReadOnly', () => {
  it('writes on a follower reject with ReadOnly and leave lastSeq at 0', async () => {
    const db = await TidalDb.open({ role: 'follower', clock });
    expect(db.isFollower()).toBe(true);
    expect((await rejection(db.signal({ itemId: 'a', type: 'like' }))).code).toBe('ReadOnly');
    expect((await rejection(db.writeItem({ id: 'a', text: 'x' }))).code).toBe('ReadOnly');
    expect(db.lastSeq).toBe(0);
    expect(db.wal.unsealedEvents).toBe(0);
    await db.close();
  });

  it('a leader is not a follower', async () => {
    const db = await TidalDb.open({ clock });
    expect(db.isFollower()).toBe(false);
    await db.close();
  });
});
