/**
 * Segment packs (docs/wal-format.md, "Segment packs"): a follower keeps the
 * segments it receives in packs, appended to with one fdatasync, so storing
 * a small segment costs no new file; open cuts a torn append off the newest
 * pack, refuses damage anywhere else, and a failed store leaves no trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { FileSegmentStore } from '../../src/wal/fileSegmentStore.js';
import { hasWholeSegmentFrom, packFileName, parsePackFileName, splitPack } from '../../src/wal/segmentPack.js';
import type { WalSegmentPayload } from '../../src/wal/walSegmentPayload.js';
import { tempDir } from '../db/tempDirs.js';
import { FaultPlan, FaultyStore } from '../reliability/faultyStore.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from './fixtures/workload.js';

/** A leader in memory that sealed `seals` segments of `perSeal` events; returns it and its segments. */
async function sealedLeader(seals: number, perSeal: number): Promise<{ leader: TidalDb; segments: WalSegmentPayload[] }> {
  const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, wal: { retainSegments: 1_000_000 } });
  for (let s = 0; s < seals; s++) {
    for (let i = 0; i < perSeal; i++) await writeNext(leader);
    await leader.wal.seal();
  }
  const segments: WalSegmentPayload[] = [];
  for (let seq = 0; ;) {
    const next = await firstValueFrom(leader.wal.nextSegment$(seq).pipe(toArray()));
    if (next.length === 0) return { leader, segments };
    segments.push(next[0]!);
    seq = next[0]!.lastSeq;
  }
}

const files = (dir: string, ending: string) => fs.readdirSync(dir).filter((n) => n.endsWith(ending)).sort();
const concatBytes = (parts: readonly Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe('segment packs', () => {
  it('splitPack finds every sealed segment of a pack, and a cut at any byte leaves exactly the whole ones before it', async () => {
    const { leader, segments } = await sealedLeader(4, 3);
    const pack = concatBytes(segments.map((s) => s.bytes));
    const whole = splitPack(pack);
    expect(whole.segments.map((s) => s.segmentId)).toEqual(segments.map((s) => s.segmentId));
    expect(whole.end).toBe(pack.length);
    const ends = segments.reduce<number[]>((acc, s) => [...acc, (acc.at(-1) ?? 0) + s.bytes.length], []);
    for (let cut = 0; cut < pack.length; cut++) {
      const layout = splitPack(pack.subarray(0, cut));
      const expected = ends.filter((e) => e <= cut).length;
      expect(layout.segments).toHaveLength(expected);
      expect(layout.end).toBe(expected === 0 ? 0 : ends[expected - 1]);
    }
    expect(hasWholeSegmentFrom(pack, ends[0]!)).toBe(true);
    expect(hasWholeSegmentFrom(pack, ends[2]! + 1)).toBe(false);
    expect(parsePackFileName(packFileName(3, 42))).toEqual({ shardId: 3, firstSegmentId: 42 });
    expect(parsePackFileName('shard-0000000003-seg-00000000000000000042.wal')).toBeNull();
    await leader.close();
  });

  it('a follower stores the segments it receives in one pack file: storing a small segment costs no new file', async () => {
    const { leader, segments } = await sealedLeader(50, 2);
    const dir = tempDir('pack-follower');
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 1_000_000 } });
    for (const s of segments) await follower.applySegment(s);
    expect(files(dir, '.wal')).toEqual([]);
    expect(files(dir, '.wals')).toEqual([packFileName(0, segments[0]!.segmentId)]);
    expect(fs.statSync(path.join(dir, files(dir, '.wals')[0]!)).size).toBe(segments.reduce((n, s) => n + s.bytes.length, 0));
    await follower.close();
    const reopened = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 1_000_000 } });
    expect(reopened.lastSeq).toBe(leader.lastSeq);
    expect(snapshotOf(reopened)).toEqual(snapshotOf(leader));
    expect(reopened.wal.sealedSegments.map((s) => s.segmentId)).toEqual(segments.map((s) => s.segmentId));
    await reopened.close();
    await leader.close();
  });

  it('a pack takes segments until it holds wal.maxSegmentBytes, then the next pack starts', async () => {
    const { leader, segments } = await sealedLeader(60, 20);
    const dir = tempDir('pack-roll');
    const maxSegmentBytes = 8 * 1024;
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 1_000_000, maxSegmentBytes } });
    for (const s of segments) await follower.applySegment(s);
    const packs = files(dir, '.wals');
    expect(packs.length).toBeGreaterThan(1);
    const largest = Math.max(...segments.map((s) => s.bytes.length));
    for (const name of packs.slice(0, -1)) {
      const size = fs.statSync(path.join(dir, name)).size;
      expect(size).toBeGreaterThanOrEqual(maxSegmentBytes);
      expect(size).toBeLessThan(maxSegmentBytes + largest);
    }
    await follower.close();
    await leader.close();
  });

  it('a torn append at the end of the newest pack is cut at open and reported; everything stored before it stays', async () => {
    const { leader, segments } = await sealedLeader(6, 3);
    const dir = tempDir('pack-torn');
    const options = { ...WORKLOAD_DB_OPTIONS, dir, wal: { retainSegments: 1_000_000 } };
    const follower = await FollowerDb.open(options);
    for (const s of segments.slice(0, 5)) await follower.applySegment(s);
    const storedSeq = follower.lastSeq;
    await follower.close();
    const pack = path.join(dir, files(dir, '.wals')[0]!);
    const sizeBefore = fs.statSync(pack).size;
    const half = segments[5]!.bytes.subarray(0, segments[5]!.bytes.length >> 1);
    fs.appendFileSync(pack, half);
    const reopened = await FollowerDb.open(options);
    expect(reopened.lastSeq).toBe(storedSeq);
    expect(reopened.recovery.tornTail).toMatchObject({ file: path.basename(pack), offset: sizeBefore, discardedBytes: half.length });
    expect(fs.statSync(pack).size).toBe(sizeBefore);
    await reopened.applySegment(segments[5]!);
    expect(snapshotOf(reopened)).toEqual(snapshotOf(leader));
    await reopened.close();
    await leader.close();
  });

  it('a torn append whose own bytes hold "TDWS" (an item id) is still a torn tail to cut, not Corruption', async () => {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, wal: { retainSegments: 1_000_000 } });
    const segments: WalSegmentPayload[] = [];
    for (let s = 0; s < 3; s++) {
      await leader.signalBatch(Array.from({ length: 20 }, (_, i) => ({ itemId: `TDWS-item-${s}-${i}`, type: 'view' })));
      segments.push((await leader.wal.seal())!);
    }
    const dir = tempDir('pack-torn-magic');
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir });
    for (const s of segments.slice(0, 2)) await follower.applySegment(s);
    await follower.close();
    const pack = path.join(dir, files(dir, '.wals')[0]!);
    const size = fs.statSync(pack).size;
    fs.appendFileSync(pack, segments[2]!.bytes.subarray(0, segments[2]!.bytes.length - 30)); // all but the end of its footer
    const reopened = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir });
    expect(reopened.lastSeq).toBe(40);
    expect(fs.statSync(pack).size).toBe(size);
    await reopened.applySegment(segments[2]!);
    expect(reopened.lastSeq).toBe(60);
    await reopened.close();
    await leader.close();
  });

  it('damage inside a pack that is not the newest is Corruption naming the file and the byte', async () => {
    const { leader, segments } = await sealedLeader(40, 20);
    const dir = tempDir('pack-damage');
    const options = { ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 1_000_000, maxSegmentBytes: 8 * 1024 } } as const;
    const follower = await FollowerDb.open(options);
    for (const s of segments) await follower.applySegment(s);
    await follower.close();
    const first = path.join(dir, files(dir, '.wals')[0]!);
    expect(files(dir, '.wals').length).toBeGreaterThan(1);
    const bytes = fs.readFileSync(first);
    const at = segments[0]!.bytes.length; // the second segment's header magic
    bytes[at] = bytes[at]! ^ 0xff;
    fs.writeFileSync(first, bytes);
    await expect(FollowerDb.open(options)).rejects.toMatchObject({ code: 'Corruption', message: expect.stringContaining(`${path.basename(first)}: no whole sealed segment at byte ${at}`) });
    await leader.close();
  });

  it('damage in the last batch of the newest packed segment is Corruption, never a torn tail to cut', async () => {
    const { leader, segments } = await sealedLeader(3, 3);
    const dir = tempDir('pack-last');
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir });
    for (const s of segments) await follower.applySegment(s);
    await follower.close();
    for (const n of fs.readdirSync(dir)) if (n.endsWith('.checkpoint')) fs.rmSync(path.join(dir, n));
    const pack = path.join(dir, files(dir, '.wals')[0]!);
    const bytes = fs.readFileSync(pack);
    const at = bytes.length - 56 - 3; // inside the last batch's payload, before the footer
    bytes[at] = bytes[at]! ^ 0x01;
    fs.writeFileSync(pack, bytes);
    await expect(FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir })).rejects.toMatchObject({ code: 'Corruption', message: expect.stringContaining(path.basename(pack)) });
    await leader.close();
  });

  it('a store that fails after its bytes landed is cut off again: a reopen holds only what was stored', async () => {
    const { leader, segments } = await sealedLeader(4, 3);
    const dir = tempDir('pack-undo');
    const plan = new FaultPlan(Infinity, 'after');
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, store: await FaultyStore.open(dir, plan, 'follower') });
    for (const s of segments.slice(0, 3)) await follower.applySegment(s);
    const pack = path.join(dir, files(dir, '.wals')[0]!);
    const size = fs.statSync(pack).size;
    plan.failNext();
    await expect(follower.applySegment(segments[3]!)).rejects.toMatchObject({ code: 'Io' });
    expect(plan.failed).toMatch(/appendSealed/);
    expect(fs.statSync(pack).size).toBe(size);
    const storedSeq = follower.lastSeq;
    await follower.close().catch(() => undefined);
    const reopened = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir });
    expect(reopened.lastSeq).toBe(storedSeq);
    expect(storedSeq).toBe(segments[2]!.lastSeq);
    await reopened.close();
    await leader.close();
  });

  it('a read after the pack\'s tail was cut and appended again returns the new bytes, never the file as read before', async () => {
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, wal: { retainSegments: 1_000_000 } });
    const sealOf = async (events: number) => {
      for (let i = 0; i < events; i++) await writeNext(leader);
      return (await leader.wal.seal())!;
    };
    const [s1, s2, s3] = [await sealOf(4), await sealOf(6), await sealOf(2)];
    expect(s3.bytes.length).toBeLessThan(s2.bytes.length);
    const store = await FileSegmentStore.open(tempDir('pack-reread'), 0, false);
    const fail = (err: unknown) => { throw err; };
    await store.appendSealed([s1, s2], fail);
    expect(Buffer.from(await store.readSegment(s2.segmentId)).equals(s2.bytes)).toBe(true); // the file is read (and kept) whole
    await store.removeSegment(s2.segmentId); // the pack's tail is cut
    await store.appendSealed([s3], fail); // and s3 lands where s2 was
    expect(Buffer.from(await store.readSegment(s3.segmentId)).equals(s3.bytes)).toBe(true);
    expect(Buffer.from(await store.readSegment(s1.segmentId)).equals(s1.bytes)).toBe(true);
    await store.close();
    await leader.close();
  });

  it('retention drops packed segments, and a pack file goes once none of its segments is held', async () => {
    const { leader, segments } = await sealedLeader(40, 20);
    const dir = tempDir('pack-retention');
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 2, maxSegmentBytes: 8 * 1024 } });
    for (const s of segments) await follower.applySegment(s);
    const before = files(dir, '.wals');
    expect(before.length).toBeGreaterThan(2);
    await follower.checkpoint();
    const after = files(dir, '.wals');
    expect(after.length).toBeLessThan(before.length);
    expect(after.at(-1)).toBe(before.at(-1));
    expect(follower.wal.sealedSegments.length).toBeLessThanOrEqual(2);
    await follower.close();
    const reopened = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 2, maxSegmentBytes: 8 * 1024 } });
    expect(snapshotOf(reopened)).toEqual(snapshotOf(leader));
    await reopened.close();
    await leader.close();
  });
});
