/**
 * A failure inside the WAL's flush (EIO, disk full) fails the writes of
 * that batch, and the database fails closed with a clear state: `lastSeq`
 * never claims more than the log took, reads and writes refuse with
 * `Failed` rather than serve writes a reopen would take back, close()
 * works, and a reopen recovers everything acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { TidalDb, TidalError } from '../../src/index.js';
import { FaultPlan, FaultyStore } from '../reliability/faultyStore.js';
import { tempDir } from './tempDirs.js';

const T0 = 1_700_000_000_000;

async function settle(p: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

describe('a failed flush fails only that batch and leaves the database failed closed', () => {
  for (const mode of ['before', 'torn', 'after'] as const) {
    it(`an EIO on the batch after an acknowledged one (${mode}): Failed for its writes, lastSeq 1, reads refused, reopen keeps the first`, async () => {
      const dir = tempDir('fail-closed');
      const plan = new FaultPlan();
      const db = await TidalDb.open({ store: await FaultyStore.open(dir, plan, 'leader'), clock: () => T0 });
      expect(await db.signal({ itemId: 'a', type: 'view', at: T0 })).toBe(1);
      expect(db.failure).toBeNull();
      plan.failNext();
      const b = settle(db.signal({ itemId: 'b', type: 'view', at: T0 }));
      const c = settle(db.signal({ itemId: 'c', type: 'view', at: T0 }));
      for (const r of [await b, await c]) {
        expect(r.ok).toBe(false);
        const { error } = r as unknown as { error: TidalError };
        expect(error).toBeInstanceOf(TidalError);
        expect(error.code).toBe('Failed');
      }
      expect(db.lastSeq).toBe(1);
      expect(db.failure).toMatchObject({ code: 'Failed' });
      expect(() => db.readDecayScore('a', 'view', T0)).toThrow(expect.objectContaining({ code: 'Failed' }));
      expect(() => db.retrieve({ signal: 'view' })).toThrow(expect.objectContaining({ code: 'Failed' }));
      expect(() => db.getItem('a')).toThrow(expect.objectContaining({ code: 'Failed' }));
      const d = await settle(db.signal({ itemId: 'd', type: 'view', at: T0 }));
      expect(d.ok === false && (d.error as TidalError).code).toBe('Failed');
      await db.close();
      const reopened = await TidalDb.open({ dir, clock: () => T0 });
      expect(reopened.lastSeq).toBeGreaterThanOrEqual(1);
      expect(reopened.readDecayScore('a', 'view', T0)).toBe(1);
      // The reopened database is usable: the next write takes the next seqno.
      expect(await reopened.signal({ itemId: 'e', type: 'view', at: T0 })).toBe(reopened.lastSeq);
      await reopened.close();
    });
  }

  it('a database whose log never failed serves reads as before (the check costs nothing else)', async () => {
    const db = await TidalDb.open({ dir: tempDir('ok'), clock: () => T0 });
    await db.signal({ itemId: 'a', type: 'view', at: T0 });
    expect(db.readDecayScore('a', 'view', T0)).toBe(1);
    expect(db.lastSeq).toBe(1);
    expect(db.failure).toBeNull();
    await db.close();
  });
});
