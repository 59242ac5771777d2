/**
 * Durability modes. In memory, a write resolves at once. With a directory
 * and the default sync 'fsync', a write resolves once its batch is
 * fdatasync'd, and concurrent writes share one commit (group commit): they
 * are encoded into one batch and wait on one sync. With sync 'none', a
 * write resolves once its batch is handed to the OS.
 *
 * "Survives" is checked without close(), which would checkpoint everything
 * anyway: the directory is copied as a crash right then would leave it, and
 * the copy is opened.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { copyDir, tempDir } from './tempDirs.js';

const BASE_MS = 1_700_000_000_000;
const clock = () => BASE_MS;

/** Which settles first: `p`, or a setImmediate callback (the WAL flushes its pending batch in one). */
async function settlesBeforeNextMacrotask(p: Promise<unknown>): Promise<boolean> {
  const immediate = new Promise<'immediate'>((resolve) => setImmediate(() => resolve('immediate')));
  return (await Promise.race([p.then(() => 'write' as const), immediate])) === 'write';
}

/** Every batch in every segment file of `dir`, decoded. */
function batchesIn(dir: string) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.wal')).sort();
  return files.flatMap((f) => decodeSegment(fs.readFileSync(path.join(dir, f)), f, 'active').batches);
}

describe('durability: an in-memory write resolves at once', () => {
  it('signal() and writeItem() resolve before the next macrotask, with their seqnos', async () => {
    const db = await TidalDb.open({ clock });
    const s = db.signal({ itemId: 'a', type: 'like' });
    expect(await settlesBeforeNextMacrotask(s)).toBe(true);
    expect(await s).toBe(1);
    const w = db.writeItem({ id: 'a', text: 'x' });
    expect(await settlesBeforeNextMacrotask(w)).toBe(true);
    expect(await w).toBe(2);
    await db.close();
  });
});

describe("durability: with a dir and the default sync 'fsync', a write resolves once on disk", () => {
  it('a write does not resolve before its batch is written and synced', async () => {
    const dir = tempDir('fsync');
    const db = await TidalDb.open({ dir, clock });
    const s = db.signal({ itemId: 'a', type: 'like' });
    expect(await settlesBeforeNextMacrotask(s)).toBe(false);
    expect(await s).toBe(1);
    await db.close();
  });

  it('each awaited write is in the directory when it resolves (a crash copy taken then replays it)', async () => {
    const dir = tempDir('fsync');
    const db = await TidalDb.open({ dir, clock });
    for (let i = 1; i <= 5; i++) {
      await db.signal({ itemId: 'a', type: 'like', weight: i, at: BASE_MS });
      const crashed = await TidalDb.open({ dir: copyDir(dir), clock });
      expect(crashed.lastSeq).toBe(i);
      expect(crashed.readDecayScore('a', 'like', BASE_MS)).toBe((i * (i + 1)) / 2);
      await crashed.close();
    }
    await db.close();
  });

  it('1000 concurrent signal() calls all complete, and a crash copy taken then holds all 1000', async () => {
    const dir = tempDir('group');
    const db = await TidalDb.open({ dir, clock });
    const seqs = await Promise.all(Array.from({ length: 1000 }, (_, i) => db.signal({ itemId: `i${i % 10}`, type: 'like', weight: 1, at: BASE_MS })));
    expect(new Set(seqs).size).toBe(1000);
    expect(Math.min(...seqs)).toBe(1);
    expect(Math.max(...seqs)).toBe(1000);
    const copy = copyDir(dir);
    await db.close();
    const reopened = await TidalDb.open({ dir: copy, clock });
    expect(reopened.lastSeq).toBe(1000);
    expect(reopened.recovery.eventsReplayed).toBe(1000);
    for (let i = 0; i < 10; i++) expect(reopened.readDecayScore(`i${i}`, 'like', BASE_MS)).toBe(100);
    await reopened.close();
  });

  it('1000 concurrent writes share commits: they land in a handful of batches, not 1000', async () => {
    // Each batch is one commit group, and a group waits on at most one
    // fdatasync (groups arriving while a sync runs share the next one), so
    // the batch count bounds the WAL's data syncs. The fdatasync calls
    // themselves are not counted: that would need mocking node:fs.
    const dir = tempDir('group');
    const db = await TidalDb.open({ dir, clock });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => db.signal({ itemId: `i${i}`, type: 'like', at: BASE_MS })));
    const batches = batchesIn(dir);
    expect(batches.reduce((n, b) => n + b.events.length, 0)).toBe(1000);
    expect(batches.length).toBeLessThanOrEqual(10);
    await db.close();
  });
});

describe("durability: with sync 'none', a write resolves once handed to the OS", () => {
  it('resolved writes are in the files (a copy taken then replays them) and survive a reopen', async () => {
    const dir = tempDir('nosync');
    const db = await TidalDb.open({ dir, wal: { sync: 'none' }, clock });
    await Promise.all(Array.from({ length: 200 }, (_, i) => db.signal({ itemId: `i${i % 4}`, type: 'like', at: BASE_MS })));
    const crashed = await TidalDb.open({ dir: copyDir(dir), clock });
    expect(crashed.lastSeq).toBe(200);
    await crashed.close();
    await db.close();
    const reopened = await TidalDb.open({ dir, clock });
    expect(reopened.lastSeq).toBe(200);
    expect(reopened.readDecayScore('i0', 'like', BASE_MS)).toBe(50);
    await reopened.close();
  });
});
