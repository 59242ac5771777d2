/**
 * Regression tests for the defects the I/O-error sweep found in how the WAL
 * handles a failing disk. Each one failed before its fix; the sweep case
 * that found it is named (IO_SWEEP_CASE=<mode>:<k> in ioErrorSweep.test.ts,
 * numbered against the workload of the day).
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TidalDb, type WalSegmentPayload } from '../../src/index.js';
import { FileSegmentStore } from '../../src/wal/fileSegmentStore.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from '../wal/fixtures/workload.js';
import { FaultPlan, FaultyStore } from './faultyStore.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-walio-'));
});

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function openFaulty(plan: FaultPlan, name: string, options: Parameters<typeof TidalDb.open>[0] = {}): Promise<TidalDb> {
  return TidalDb.open({ ...WORKLOAD_DB_OPTIONS, ...options, store: await FaultyStore.open(path.join(dir, name), plan, name) });
}

async function writeMany(db: TidalDb, n: number, variant = 0): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => writeNext(db, variant)));
}

/** Calls `fn`, failing the test if it throws instead of returning a (possibly rejected) promise. */
function noSyncThrow<T>(fn: () => Promise<T>): Promise<T> {
  let promise: Promise<T> | undefined;
  expect(() => { promise = fn(); }).not.toThrow();
  return promise!;
}

async function reference(seq: number, promotedAt: number | null = null): Promise<ReturnType<typeof snapshotOf>> {
  const db = await TidalDb.open(WORKLOAD_DB_OPTIONS);
  const acks: Array<Promise<number>> = [];
  while (db.lastSeq < seq) acks.push(writeNext(db, promotedAt === null || db.lastSeq < promotedAt ? 0 : 1));
  await Promise.all(acks);
  const snapshot = snapshotOf(db);
  await db.close();
  return snapshot;
}

describe('seal() on a failing disk', () => {
  // Found by IO_SWEEP_CASE=before:27: seal() threw synchronously and the log went on; the next
  // write opened a new segment behind the unsealed one, and reopen refused the directory
  // ("sealed segment has no footer").
  it('a footer append that fails rejects (never throws) and stops the log; reopen keeps every acknowledged write', async () => {
    const plan = new FaultPlan();
    const db = await openFaulty(plan, 'db');
    await writeMany(db, 5);
    plan.failNext(); // the footer's append
    await expect(noSyncThrow(() => db.wal.seal())).rejects.toMatchObject({ name: 'WalError', code: 'Io' });
    expect(plan.failed).toMatch(/append 56 bytes/);
    await expect(writeNext(db)).rejects.toMatchObject({ name: 'TidalError', code: 'Failed' });
    await db.close();

    const reopened = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'db') });
    expect(reopened.lastSeq).toBe(5);
    expect(snapshotOf(reopened)).toEqual(await reference(5));
    await reopened.close();
  });

  // Found by IO_SWEEP_CASE=torn:27: seal() encoded the pending writes, their append failed half
  // way, and it appended the footer after the torn batch anyway: reopen refused the segment.
  it('puts no footer after a pending batch whose append failed', async () => {
    const plan = new FaultPlan(Infinity, 'torn');
    const db = await openFaulty(plan, 'db');
    await writeMany(db, 5);
    const pending = Promise.allSettled([writeNext(db), writeNext(db)]);
    plan.failNext(); // the pending batch's append, which seal() makes
    await expect(noSyncThrow(() => db.wal.seal())).rejects.toMatchObject({ name: 'WalError', code: 'Io' });
    for (const r of await pending) expect(r.status).toBe('rejected');
    await db.close();

    const reopened = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'db') });
    expect(reopened.lastSeq).toBe(5);
    expect(reopened.recovery.tornTail).not.toBeNull();
    await reopened.close();
  });

  // Found by IO_SWEEP_CASE=before:10 and others: a segment whose seal failed was never closed.
  it('close() releases a segment whose seal failed', async () => {
    const plan = new FaultPlan();
    const db = await openFaulty(plan, 'db');
    await writeMany(db, 5);
    plan.failAt = plan.log.length + 2; // the seal's sync, after its footer's append
    await expect(db.wal.seal()).rejects.toMatchObject({ code: 'Io' });
    expect(plan.failed).toMatch(/sync/);
    await db.close();
    expect([...plan.openSegments]).toEqual([]);
  });
});

describe('storing a shipped segment on a failing disk', () => {
  /** A leader with a checkpoint at 4 (segment 1 dropped) and segment 2 (seqnos 5..8) sealed. */
  async function leaderWithTwoSegments(): Promise<{ leader: TidalDb; second: WalSegmentPayload }> {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'leader'), wal: { retainSegments: 0 } });
    await writeMany(leader, 4);
    await leader.wal.seal();
    await leader.checkpoint();
    await writeMany(leader, 4);
    const second = (await leader.wal.seal())!;
    expect(second.firstSeq).toBe(5);
    return { leader, second };
  }

  // Found by IO_SWEEP_CASE=after:53: the segment's file landed but the store reported failure.
  // The follower (bootstrapped from a checkpoint) was promoted and numbered its own segments
  // from 1, below the stray old-epoch file; reopen refused the directory. Had it not, the old
  // leader's events would have replaced the new leader's acknowledged ones.
  it('is undone when the store fails after the file landed: a promoted follower keeps only its own events', async () => {
    const { leader, second } = await leaderWithTwoSegments();
    const plan = new FaultPlan(Infinity, 'after');
    const follower = await openFaulty(plan, 'follower', { role: 'follower' });
    expect(await follower.installCheckpoint((await leader.latestCheckpoint())!.bytes)).toBe(true);
    plan.failNext(); // the segment's write
    await expect(follower.applySegment(second)).rejects.toMatchObject({ name: 'WalError', code: 'Io' });
    expect(follower.lastSeq).toBe(4);

    await follower.promote();
    await writeMany(follower, 3, 1);
    await Promise.all([follower.close(), leader.close()]);

    const reopened = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'follower') });
    expect(reopened.lastSeq).toBe(7);
    expect(snapshotOf(reopened)).toEqual(await reference(7, 4));
    await reopened.close();
  });

  it('stops the log when the stray file cannot be removed either', async () => {
    const { leader, second } = await leaderWithTwoSegments();
    const plan = new FaultPlan(Infinity, 'after', true);
    const follower = await openFaulty(plan, 'follower', { role: 'follower' });
    await follower.installCheckpoint((await leader.latestCheckpoint())!.bytes);
    plan.failNext(); // the write, and (sticky) the removal after it
    await expect(follower.applySegment(second)).rejects.toMatchObject({ name: 'WalError', code: 'Io' });
    expect(follower.wal.failed).toMatchObject({ name: 'WalError', code: 'Io' });
    await expect(follower.applySegment(second)).rejects.toMatchObject({ code: 'Io' });
    await follower.close().catch(() => {});
    await leader.close();
  });
});

describe('FileSegmentStore on a failing disk', () => {
  const eio = () => {
    throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
  };
  const openFds = () => fs.readdirSync('/proc/self/fd').length;

  it.skipIf(process.platform !== 'linux')('createActive closes the file it opened when writing the header fails', async () => {
    const store = await FileSegmentStore.open(dir, 0, true);
    const before = openFds();
    vi.spyOn(fs, 'writeSync').mockImplementation(eio);
    syncBuiltinESMExports();
    expect(() => store.createActive(1, new Uint8Array(64))).toThrow(expect.objectContaining({ name: 'WalError', code: 'Io' }));
    expect(openFds()).toBe(before);
  });

  it.skipIf(process.platform !== 'linux')('reopenActive closes the file it opened when truncating it fails', async () => {
    const store = await FileSegmentStore.open(dir, 0, true);
    const segment = store.createActive(1, new Uint8Array(64));
    segment.close();
    const before = openFds();
    vi.spyOn(fs, 'ftruncateSync').mockImplementation(eio);
    syncBuiltinESMExports();
    await expect(store.reopenActive(1, 32)).rejects.toMatchObject({ name: 'WalError', code: 'Io' });
    expect(openFds()).toBe(before);
  });
});

describe('installing a checkpoint on a failing disk', () => {
  // Found by IO_SWEEP=full, before:40:sticky: the install stored the checkpoint, then failed on the cleanup
  // after it and left the state at the old mark; promoted there, the node wrote seqnos 1..3 in a new epoch,
  // but the stray checkpoint (seqno 4, old epoch) was the newest on disk, so reopen restored it and skipped
  // the new leader's acknowledged writes. Fixed in src/db/installCheckpoint.ts and TidalDb.installCheckpoint:
  // once the checkpoint is durable the live state is the checkpoint's (a failure storing it removes it again).
  it('a checkpoint whose install failed after it was stored never shadows a promoted follower\'s writes', async () => {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'leader') });
    await writeMany(leader, 4);
    await leader.checkpoint();
    const plan = new FaultPlan();
    const follower = await openFaulty(plan, 'follower', { role: 'follower' });
    plan.failAt = plan.log.length + 2; // the listCheckpoints after the checkpoint was stored
    await expect(follower.installCheckpoint((await leader.latestCheckpoint())!.bytes)).rejects.toMatchObject({ code: 'Io' });
    expect(plan.failed).toMatch(/listCheckpoints/);
    expect(follower.lastSeq).toBe(4); // durable, so installed: what a reopen would restore

    await follower.promote();
    await writeMany(follower, 3, 1);
    const live = { lastSeq: follower.lastSeq, state: snapshotOf(follower) };
    await Promise.all([follower.close(), leader.close()]);

    const reopened = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'follower') });
    expect(reopened.lastSeq).toBe(live.lastSeq);
    expect(snapshotOf(reopened)).toEqual(live.state);
    await reopened.close();
  });
});

describe('a double fault while installing a checkpoint', () => {
  // Found by IO_SWEEP=full (before:39:sticky): the checkpoint's write fails with nothing written, and the
  // removal that should undo it fails too. The install used to treat the checkpoint as stored and swap
  // its state in, so lastSeq said 4 with nothing on disk behind it; the next shipped segment (5..8) was
  // stored and acknowledged, and reopen refused the directory ("a segment is missing"). Now the node
  // fails closed (Failed) until a reopen tells what the disk holds.
  it('leaves a directory that reopens with everything acknowledged', async () => {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'leader') });
    await writeMany(leader, 4);
    await leader.wal.seal();
    await leader.checkpoint();
    await writeMany(leader, 4);
    const second = (await leader.wal.seal())!;
    const plan = new FaultPlan();
    const follower = await openFaulty(plan, 'follower', { role: 'follower' });
    const shipped = (await leader.latestCheckpoint())!.bytes;
    const k = plan.log.length;
    plan.failNext(); // the checkpoint's write (nothing written) ...
    plan.failNextToo(2); // ... and the removal that would undo it
    const installed = await follower.installCheckpoint(shipped).then(() => true, () => false);
    expect(plan.log.slice(k, k + 2)).toEqual(['follower writeCheckpoint 4', 'follower removeCheckpoint 4']);
    expect(installed).toBe(false);
    await expect(follower.applySegment(second)).rejects.toMatchObject({ code: 'Failed' });
    // An operator sees why it fails closed (the simulation's runbook restarts it on this; seed 20026).
    expect(follower.failure).toMatchObject({ code: 'Failed', message: expect.stringMatching(/installing the checkpoint at seqno 4 failed/) });
    let acked = 0;
    if (installed || follower.lastSeq === 4) acked = (await follower.applySegment(second)).appliedSeq;
    // A crash: the follower is not closed. Its directory is reopened as it stands.
    const reopened = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'follower') });
    expect(reopened.lastSeq).toBeGreaterThanOrEqual(acked);
    await reopened.close();
    await leader.close();
  });
});
