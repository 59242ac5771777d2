/**
 * Merging small sealed segments on a real directory (docs/wal-format.md,
 * "Merging sealed segments"): the files stay within the documented bound
 * however many ship ticks seal a segment, every event stays readable (by a
 * reopen, by shipping through nextSegment$), and a follower taking merged
 * segments that repeat what it holds ends identical, with no overlap left.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { WAL_MERGE_MIN_AGE_SEGMENTS } from '../../src/limits.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { defaultMergePolicy, walFileBound } from '../../src/wal/planMerge.js';
import type { WalSegmentPayload } from '../../src/wal/walSegmentPayload.js';
import { tempDir } from '../db/tempDirs.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from './fixtures/workload.js';
import { WorkloadReference } from './fixtures/workloadReference.js';

const SEGMENT_BYTES = 16 * 1024;
const wal = { sync: 'none', maxSegmentBytes: SEGMENT_BYTES, retainSegments: 1_000_000, packSegments: false } as const;

/** `seals` ship ticks, each sealing `perSeal` workload events. */
async function writeAndSeal(db: TidalDb, seals: number, perSeal: number): Promise<void> {
  for (let s = 0; s < seals; s++) {
    await Promise.all(Array.from({ length: perSeal }, () => writeNext(db)));
    await db.wal.seal();
  }
}

const segmentFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
const heldBytes = (db: TidalDb) => db.wal.sealedSegments.reduce((n, s) => n + s.byteLength, 0);

/** Every sealed segment in order, read through nextSegment$ as shipping reads them. */
async function shipAll(db: TidalDb, after = 0): Promise<WalSegmentPayload[]> {
  const out: WalSegmentPayload[] = [];
  for (let seq = after; ;) {
    const next = await firstValueFrom(db.wal.nextSegment$(seq).pipe(toArray()));
    if (next.length === 0) return out;
    out.push(next[0]!);
    seq = next[0]!.lastSeq;
  }
}

describe('merging sealed segments keeps the number of WAL files bounded', () => {
  it('400 ship ticks leave at most walFileBound(retained bytes) segment files, each a valid sealed segment', async () => {
    const dir = tempDir('merge-bound');
    const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
    const policy = defaultMergePolicy(SEGMENT_BYTES);
    let maxFiles = 0;
    for (let round = 0; round < 20; round++) {
      await writeAndSeal(db, 20, 1 + (round % 7) * 3);
      await db.wal.mergesSettled();
      const files = segmentFiles(dir).length;
      maxFiles = Math.max(maxFiles, files);
      expect(files, `after ${(round + 1) * 20} ticks`).toBeLessThanOrEqual(walFileBound(policy, heldBytes(db)));
      expect(files).toBe(db.wal.sealedSegments.length + (db.wal.activeBytes > 0 ? 1 : 0));
      expect(db.wal.sealedBytes).toBe(heldBytes(db));
    }
    expect(db.wal.merges.merges).toBeGreaterThan(0);
    expect(maxFiles).toBeLessThan(400 / 3);
    // Each file is an ordinary sealed segment; together they hold seqnos 1..lastSeq once each.
    let next = 1;
    for (const name of segmentFiles(dir)) {
      const d = decodeSegment(fs.readFileSync(path.join(dir, name)), name, 'sealed');
      expect(d.header.firstSeq).toBe(next);
      next = d.lastSeq + 1;
    }
    expect(next - 1).toBe(db.lastSeq);
    await db.close();
  });

  it('the newest WAL_MERGE_MIN_AGE_SEGMENTS segments are shipped as they were sealed; a reopen recovers every event', async () => {
    const dir = tempDir('merge-reopen');
    const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
    const sealed: WalSegmentPayload[] = [];
    db.wal.sealed$.subscribe((p) => sealed.push(p));
    await writeAndSeal(db, 150, 4);
    await db.wal.mergesSettled();
    const shipped = await shipAll(db);
    expect(shipped.slice(-WAL_MERGE_MIN_AGE_SEGMENTS).map((p) => p.segmentId)).toEqual(sealed.slice(-WAL_MERGE_MIN_AGE_SEGMENTS).map((p) => p.segmentId));
    expect(shipped.length).toBeLessThan(sealed.length);
    // Every merged segment keeps its last input's id, last seqno and sealed-at time.
    for (const p of shipped) expect(sealed.find((s) => s.segmentId === p.segmentId)).toMatchObject({ lastSeq: p.lastSeq, sealedAtMs: p.sealedAtMs });
    const lastSeq = db.lastSeq;
    const before = snapshotOf(db);
    await db.close();
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.checkpoint'))) fs.rmSync(path.join(dir, f));
    const reopened = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
    expect(reopened.lastSeq).toBe(lastSeq);
    expect(reopened.recovery.eventsReplayed).toBe(lastSeq);
    expect(snapshotOf(reopened)).toEqual(before);
    await reopened.close();
  });

  it('followers applying what nextSegment$ returns while the leader merges end identical, however far behind they were', async () => {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: tempDir('merge-leader'), wal });
    const keepingUp = await FollowerDb.open(WORKLOAD_DB_OPTIONS);
    const lagging = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir: tempDir('merge-lagging'), wal: { sync: 'none' } });
    let overlapping = 0;
    for (let round = 0; round < 30; round++) {
      await writeAndSeal(leader, 10, 3);
      for (const p of await shipAll(leader, keepingUp.lastSeq)) await keepingUp.applySegment(p);
      if (round % 7 !== 6) continue;
      await leader.wal.mergesSettled(); // so merges reaching back past its mark have run
      for (const p of await shipAll(leader, lagging.lastSeq)) {
        if (p.firstSeq <= lagging.lastSeq) overlapping++;
        const r = await lagging.applySegment(p);
        expect(r.appliedSeq).toBe(p.lastSeq);
      }
    }
    await leader.wal.mergesSettled();
    for (const p of await shipAll(leader, lagging.lastSeq)) await lagging.applySegment(p);
    expect(overlapping).toBeGreaterThan(0);
    const reference = await WorkloadReference.open();
    for (const f of [keepingUp, lagging]) expect(snapshotOf(f)).toEqual(await reference.snapshotAt(leader.lastSeq));
    await reference.close();
    await leader.close();
    await keepingUp.close();
    await lagging.close();
  });

  it('a follower storing a merged segment that repeats segments it stores drops them and their files', async () => {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: tempDir('merge-leader2'), wal });
    const dir = tempDir('merge-follower');
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 1_000_000 } });
    // The follower takes 40 segments as sealed, then the leader merges them with 60 more it has not seen.
    await writeAndSeal(leader, 40, 2);
    for (const p of await shipAll(leader)) await follower.applySegment(p);
    await writeAndSeal(leader, 60, 2);
    await leader.wal.mergesSettled();
    const catchUp = await shipAll(leader, follower.lastSeq);
    expect(catchUp[0]!.firstSeq).toBeLessThanOrEqual(follower.lastSeq);
    for (const p of catchUp) await follower.applySegment(p);
    await follower.wal.mergesSettled();
    const segs = follower.wal.sealedSegments;
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.firstSeq).toBe(segs[i - 1]!.lastSeq + 1);
    // A follower keeps what it stores in segment packs (no file per segment); the repeated segments are dropped
    // from its log, and their bytes go with the pack once none of its segments is held.
    expect(segmentFiles(dir)).toHaveLength(0);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.wals'))).toHaveLength(1);
    expect(follower.wal.sealedBytes).toBe(heldBytes(follower));
    const lastSeq = follower.lastSeq;
    await follower.close();
    const reopened = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none' } });
    expect(reopened.lastSeq).toBe(lastSeq);
    expect(snapshotOf(reopened)).toEqual(snapshotOf(leader));
    await reopened.close();
    await leader.close();
  });
});
