/**
 * Several segments to a file (docs/wal-format.md, "Several segments in one
 * file"; `wal.packSegments`, the default): sealing a small segment costs no
 * new file, and recovery judges a shared file exactly as it judged one file
 * per segment: the active segment at its end continues, a torn tail or a
 * torn appended header is cut and reported, a lost footer with the next
 * segment written back is repaired as dropAfterUnsealed does, and damage to
 * a sealed segment is Corruption naming the file and the byte.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, type WalOptions } from '../../src/index.js';
import { FOOTER_BYTES } from '../../src/wal/segmentFooter.js';
import { tempDir } from '../db/tempDirs.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from './fixtures/workload.js';

const wal: WalOptions = { retainSegments: 10_000 };
const open = (dir: string) => TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
const walFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
/** What a crash instead of a clean close leaves: no checkpoint taken at close, so open reads the log itself. */
const withoutCheckpoints = (dir: string) => {
  for (const n of fs.readdirSync(dir)) if (n.endsWith('.checkpoint')) fs.rmSync(path.join(dir, n));
};

/** `seals` segments of `perSeal` events each, then `open` events in the active segment. */
async function written(dir: string, seals: number, perSeal: number, active: number): Promise<{ db: TidalDb; ends: number[] }> {
  const db = await open(dir);
  const ends: number[] = [];
  for (let s = 0; s < seals; s++) {
    for (let i = 0; i < perSeal; i++) await writeNext(db);
    const sealed = await db.wal.seal();
    ends.push((ends.at(-1) ?? 0) + sealed!.bytes.length);
  }
  for (let i = 0; i < active; i++) await writeNext(db);
  return { db, ends };
}

/** The same workload written to memory: what every recovery must equal. */
async function reference(events: number): Promise<TidalDb> {
  const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS });
  for (let i = 0; i < events; i++) await writeNext(db);
  return db;
}

describe('several segments to a file', () => {
  it('sealing a small segment costs no new file: 20 seals, one file; a reopen continues the active segment in it', async () => {
    const dir = tempDir('packed');
    const { db, ends } = await written(dir, 20, 3, 2);
    expect(walFiles(dir)).toHaveLength(1);
    await db.close();
    withoutCheckpoints(dir);
    const file = path.join(dir, walFiles(dir)[0]!);
    expect(fs.statSync(file).size).toBeGreaterThan(ends.at(-1)!);
    const reopened = await open(dir);
    expect(reopened.lastSeq).toBe(62);
    expect(reopened.wal.sealedSegments).toHaveLength(20);
    for (let i = 0; i < 5; i++) await writeNext(reopened);
    await reopened.wal.seal();
    await reopened.close();
    const again = await open(dir);
    const ref = await reference(67);
    expect(again.lastSeq).toBe(67);
    expect(snapshotOf(again)).toEqual(snapshotOf(ref));
    expect(walFiles(dir)).toHaveLength(1);
    await again.close();
    await ref.close();
  });

  it('a file takes segments until it holds wal.maxSegmentBytes; the next segment starts a new one', async () => {
    const dir = tempDir('packed-roll');
    const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { retainSegments: 10_000, maxSegmentBytes: 4096 } });
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < 5; i++) await writeNext(db);
      await db.wal.seal();
    }
    const files = walFiles(dir);
    expect(files.length).toBeGreaterThan(2);
    expect(files.length).toBeLessThan(60);
    for (const name of files.slice(0, -1)) expect(fs.statSync(path.join(dir, name)).size).toBeGreaterThanOrEqual(4096);
    await db.close();
    const reopened = await open(dir);
    expect(reopened.lastSeq).toBe(300);
    await reopened.close();
  });

  it('a torn batch at the end of the shared file is cut and reported; every acknowledged event stays', async () => {
    const dir = tempDir('packed-torn');
    const { db } = await written(dir, 4, 3, 3);
    await db.close();
    withoutCheckpoints(dir);
    const file = path.join(dir, walFiles(dir)[0]!);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from('TDWB0123456789', 'latin1'));
    const reopened = await open(dir);
    expect(reopened.lastSeq).toBe(15);
    expect(reopened.recovery.tornTail).toMatchObject({ offset: expect.any(Number), discardedBytes: 14 });
    expect(fs.statSync(file).size).toBe(size);
    await reopened.close();
  });

  it('the torn header of a segment just appended to the file is cut and reported', async () => {
    const dir = tempDir('packed-torn-header');
    const { db, ends } = await written(dir, 3, 3, 0);
    await db.close();
    withoutCheckpoints(dir);
    const file = path.join(dir, walFiles(dir)[0]!);
    const header = fs.readFileSync(file).subarray(0, 20); // the start of a segment header
    fs.appendFileSync(file, header);
    const reopened = await open(dir);
    expect(reopened.lastSeq).toBe(9);
    expect(reopened.recovery.tornTail).toMatchObject({ file: path.basename(file), offset: ends.at(-1), discardedBytes: 20 });
    expect(fs.statSync(file).size).toBe(ends.at(-1));
    for (let i = 0; i < 3; i++) await writeNext(reopened);
    await reopened.close();
    expect((await open(dir)).lastSeq).toBe(12);
  });

  it('a lost footer with the next segment written back: that segment goes, the unsealed one continues', async () => {
    const dir = tempDir('packed-lost-footer');
    const { db, ends } = await written(dir, 3, 3, 3);
    await db.close();
    withoutCheckpoints(dir);
    const file = path.join(dir, walFiles(dir)[0]!);
    const bytes = fs.readFileSync(file);
    bytes.fill(0, ends[2]! - FOOTER_BYTES, ends[2]!); // segment 3's footer never reached the disk
    fs.writeFileSync(file, bytes);
    const reopened = await open(dir);
    expect(reopened.lastSeq).toBe(9);
    expect(reopened.recovery.tornTail?.reason).toMatch(/footer never reached the disk/);
    expect(reopened.wal.sealedSegments).toHaveLength(2);
    expect(fs.statSync(file).size).toBe(ends[2]! - FOOTER_BYTES);
    for (let i = 0; i < 4; i++) await writeNext(reopened);
    await reopened.wal.seal();
    await reopened.close();
    const again = await open(dir);
    const ref = await reference(13);
    expect(snapshotOf(again)).toEqual(snapshotOf(ref));
    await again.close();
    await ref.close();
  });

  it('a flipped bit in a sealed segment inside the shared file is Corruption naming the file and the byte', async () => {
    const dir = tempDir('packed-flip');
    const { db, ends } = await written(dir, 4, 3, 0);
    await db.close();
    withoutCheckpoints(dir);
    const file = path.join(dir, walFiles(dir)[0]!);
    const bytes = fs.readFileSync(file);
    const at = ends[1]! + 200; // inside the third segment's first batch payload
    bytes[at] = bytes[at]! ^ 0x10;
    fs.writeFileSync(file, bytes);
    await expect(open(dir)).rejects.toMatchObject({ code: 'Corruption', message: expect.stringContaining(`${path.basename(file)} at byte ${ends[1]}`) });
  });

  it('a follower holding packs, promoted, writes its own segments to .wal files; a reopen as leader reads both in order', async () => {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, wal: { retainSegments: 10_000 } });
    const dir = tempDir('packed-promote');
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < 3; i++) await writeNext(leader);
      await follower.applySegment((await leader.wal.seal())!);
    }
    expect(follower.lastSeq).toBe(15);
    expect(await follower.promote()).toBe(1);
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 4; i++) await writeNext(follower, 1);
      await follower.wal.seal();
    }
    for (let i = 0; i < 2; i++) await writeNext(follower, 1);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.wals'))).toHaveLength(1);
    expect(walFiles(dir)).toHaveLength(1);
    const snapshot = snapshotOf(follower);
    await follower.close();
    withoutCheckpoints(dir);
    const reopened = await open(dir);
    expect(reopened.lastSeq).toBe(29);
    expect(reopened.epoch).toBe(1);
    expect(snapshotOf(reopened)).toEqual(snapshot);
    await reopened.close();
    await leader.close();
  });

  it('either layout reads the other: written packed, reopened with packSegments false and back, every event kept', async () => {
    const dir = tempDir('packed-interop');
    const { db } = await written(dir, 6, 3, 2);
    await db.close();
    const flat = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { retainSegments: 10_000, packSegments: false } });
    expect(flat.lastSeq).toBe(20);
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 3; i++) await writeNext(flat);
      await flat.wal.seal();
    }
    await flat.close();
    expect(walFiles(dir).length).toBeGreaterThan(1); // one file per new segment
    withoutCheckpoints(dir);
    const again = await open(dir);
    const ref = await reference(32);
    expect(again.lastSeq).toBe(32);
    expect(snapshotOf(again)).toEqual(snapshotOf(ref));
    await again.close();
    await ref.close();
  });

  it('wal.packSegments must be a boolean', async () => {
    await expect(TidalDb.open({ wal: { packSegments: 'yes' as unknown as boolean } })).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('wal.packSegments must be true or false') });
  });
});
