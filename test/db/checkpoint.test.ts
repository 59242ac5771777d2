/**
 * db.checkpoint() writes the state as of lastSeq; reopening replays only the
 * WAL after it (recovery.checkpointSeq, recovery.eventsReplayed), and the
 * reopened state equals the original.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { observe } from './stateSnapshot.js';
import { copyDir, tempDir } from './tempDirs.js';

const BASE_MS = 1_700_000_000_000;
const clock = () => BASE_MS;
const options = { halfLifeMs: { like: 60_000, '*': 600_000 }, clock };
const ITEMS = Array.from({ length: 12 }, (_, i) => `item-${i}`);
const view = {
  itemIds: ITEMS,
  types: ['like', 'view'],
  times: [BASE_MS - 100_000, BASE_MS, BASE_MS + 3_600_000],
  queries: ['tidal', 'café 3', 'ÉCOLE'],
};

/** Writes events `from`..`to` (1-based): items, and signals with out-of-order times and mixed signs. */
async function writeEvents(db: TidalDb, from: number, to: number): Promise<void> {
  for (let k = from; k <= to; k++) {
    const id = ITEMS[(k * 5) % ITEMS.length]!;
    if (k % 4 === 0) await db.writeItem({ id, text: `tidal café ${k % 7} ${k % 3 ? 'école' : 'ÉCOLE'}`, fields: { k } });
    else await db.signal({ itemId: id, type: k % 3 ? 'like' : 'view', weight: (k % 5) - 1.5, at: BASE_MS - ((k * 7919) % 300_000) });
  }
}

describe('checkpoint: reopening replays only what came after the checkpoint, and the state equals the original', () => {
  it('a crash copy after checkpoint + more writes replays only the later events', async () => {
    const dir = tempDir('checkpoint');
    const db = await TidalDb.open({ dir, ...options });
    await writeEvents(db, 1, 60);
    expect(await db.checkpoint()).toBe(60);
    await writeEvents(db, 61, 85);
    await db.flush();
    const original = observe(db, view);
    const crashed = await TidalDb.open({ dir: copyDir(dir), clock });
    expect(crashed.recovery.checkpointSeq).toBe(60);
    expect(crashed.recovery.eventsReplayed).toBe(25);
    expect(crashed.lastSeq).toBe(85);
    expect(observe(crashed, view)).toEqual(original);
    await crashed.close();
    await db.close();
  });

  it('without a checkpoint the whole WAL is replayed, to the same state', async () => {
    const dir = tempDir('checkpoint');
    const db = await TidalDb.open({ dir, ...options });
    await writeEvents(db, 1, 40);
    await db.flush();
    const crashed = await TidalDb.open({ dir: copyDir(dir), clock });
    expect(crashed.recovery.checkpointSeq).toBe(0);
    expect(crashed.recovery.eventsReplayed).toBe(40);
    expect(observe(crashed, view)).toEqual(observe(db, view));
    await crashed.close();
    await db.close();
  });

  it('a checkpoint taken mid-segment and across sealed segments: later events only, state equal', async () => {
    const dir = tempDir('checkpoint');
    const db = await TidalDb.open({ dir, wal: { maxSegmentBytes: 2048 }, ...options });
    await writeEvents(db, 1, 50);
    await db.wal.seal();
    await writeEvents(db, 51, 70);
    expect(await db.checkpoint()).toBe(70);
    await writeEvents(db, 71, 120);
    await db.flush();
    expect(db.wal.sealedSegments.length).toBeGreaterThan(1);
    const crashed = await TidalDb.open({ dir: copyDir(dir), clock });
    expect(crashed.recovery.checkpointSeq).toBe(70);
    expect(crashed.recovery.eventsReplayed).toBe(50);
    expect(observe(crashed, view)).toEqual(observe(db, view));
    await crashed.close();
    await db.close();
  });

  it('close() checkpoints: reopening replays nothing and equals the state before close', async () => {
    const dir = tempDir('checkpoint');
    const db = await TidalDb.open({ dir, ...options });
    await writeEvents(db, 1, 45);
    const original = observe(db, view);
    await db.close();
    const reopened = await TidalDb.open({ dir, clock });
    expect(reopened.recovery.checkpointSeq).toBe(45);
    expect(reopened.recovery.eventsReplayed).toBe(0);
    expect(observe(reopened, view)).toEqual(original);
    await writeEvents(reopened, 46, 50);
    expect(reopened.lastSeq).toBe(50);
    await reopened.close();
  });

  it('a newer checkpoint replaces the older one; writes continue after a reopen from it', async () => {
    const dir = tempDir('checkpoint');
    const db = await TidalDb.open({ dir, ...options });
    await writeEvents(db, 1, 10);
    await db.checkpoint();
    await writeEvents(db, 11, 20);
    await db.checkpoint();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.checkpoint'))).toHaveLength(1);
    await writeEvents(db, 21, 30);
    await db.flush();
    const copy = copyDir(dir);
    const crashed = await TidalDb.open({ dir: copy, clock });
    expect([crashed.recovery.checkpointSeq, crashed.recovery.eventsReplayed]).toEqual([20, 10]);
    await writeEvents(crashed, 31, 40);
    await writeEvents(db, 31, 40);
    expect(observe(crashed, view)).toEqual(observe(db, view));
    await crashed.close();
    await db.close();
  });

  it('with wal.retainSegments, sealed segments the checkpoint covers are dropped and reopening still gives the same state', async () => {
    const dir = tempDir('checkpoint');
    const db = await TidalDb.open({ dir, wal: { maxSegmentBytes: 2048, retainSegments: 1 }, ...options });
    await writeEvents(db, 1, 120);
    await db.wal.seal();
    const segmentsBefore = fs.readdirSync(dir).filter((f) => f.endsWith('.wal')).length;
    expect(segmentsBefore).toBeGreaterThan(2);
    await db.checkpoint();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.wal'))).toHaveLength(1);
    await writeEvents(db, 121, 130);
    await db.flush();
    const crashed = await TidalDb.open({ dir: copyDir(dir), clock });
    expect([crashed.recovery.checkpointSeq, crashed.recovery.eventsReplayed]).toEqual([120, 10]);
    expect(observe(crashed, view)).toEqual(observe(db, view));
    await crashed.close();
    await db.close();
  });

  it('segment ids are never reused, even after a checkpoint dropped every sealed segment (retainSegments 0) and a reopen', async () => {
    const dir = tempDir('checkpoint');
    const db = await TidalDb.open({ dir, wal: { retainSegments: 0 }, ...options });
    await writeEvents(db, 1, 5);
    const first = (await db.wal.seal())!;
    await db.checkpoint();
    await db.close();
    const reopened = await TidalDb.open({ dir, wal: { retainSegments: 0 }, clock });
    await writeEvents(reopened, 6, 8);
    const next = (await reopened.wal.seal())!;
    expect(next.firstSeq).toBe(6);
    expect(next.segmentId).toBeGreaterThan(first.segmentId);
    await reopened.close();
  });
});
