/**
 * A follower as a replication source (docs/cascading.md): `db.replication`
 * of a follower seals nothing, and its `sealed$` emits each segment as it is
 * stored, byte for byte as the leader shipped it.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { WalSegmentPayload } from '../../src/index.js';
import { memoryFollower, memoryLeader, sealedSegment } from './fixtures.js';

const clock = () => 1_000_000;

describe('A follower can serve its own followers: it reships the sealed segments it stored, byte for byte', () => {
  it('sealed$ on a follower emits every segment it stores, in order, with the bytes the leader sealed', async () => {
    const [leader, follower] = [await memoryLeader(clock), await memoryFollower(clock)];
    const emitted: WalSegmentPayload[] = [];
    const sub = follower.replication.sealed$.subscribe((s) => emitted.push(s));
    const shipped = [await sealedSegment(leader, 5), await sealedSegment(leader, 3), await sealedSegment(leader, 4)];
    for (const s of shipped) await follower.applySegment(s);
    await follower.applySegment(shipped[1]!); // a duplicate is not stored again: nothing more
    sub.unsubscribe();
    expect(emitted.map((s) => [s.segmentId, s.firstSeq, s.lastSeq])).toEqual(shipped.map((s) => [s.segmentId, s.firstSeq, s.lastSeq]));
    for (const [i, s] of emitted.entries()) expect(Buffer.from(s.bytes).equals(Buffer.from(shipped[i]!.bytes))).toBe(true);
  });

  it('seal$ on a follower seals nothing (null), and nextSegment$ serves what it stored', async () => {
    const [leader, follower] = [await memoryLeader(clock), await memoryFollower(clock)];
    const shipped = await sealedSegment(leader, 6);
    await follower.applySegment(shipped);
    expect(await firstValueFrom(follower.replication.seal$())).toBeNull();
    expect(follower.replication.sealedThroughSeq).toBe(6);
    const served = await firstValueFrom(follower.replication.nextSegment$(0).pipe(toArray()));
    expect(served.map((s) => Buffer.from(s.bytes).equals(Buffer.from(shipped.bytes)))).toEqual([true]);
  });

  it('after a checkpoint install moves the mark, the next stored segment is emitted, and none of the covered ones', async () => {
    const [leader, follower] = [await memoryLeader(clock), await memoryFollower(clock)];
    await sealedSegment(leader, 4);
    await leader.checkpoint();
    const checkpoint = await leader.latestCheckpoint();
    const after = await sealedSegment(leader, 2);
    const emitted: number[] = [];
    const sub = follower.replication.sealed$.subscribe((s) => emitted.push(s.segmentId));
    expect(await follower.installCheckpoint(checkpoint!.bytes)).toBe(true);
    await follower.applySegment(after);
    sub.unsubscribe();
    expect(emitted).toEqual([after.segmentId]);
  });

  it('records the furthest leader position announced to it (leaderStatus), whatever the order', async () => {
    const follower = await memoryFollower(clock);
    expect(follower.replication.leaderStatus).toBeNull();
    follower.replication.noteLeaderStatus({ lastSeq: 40, atMs: 900 });
    follower.replication.noteLeaderStatus({ lastSeq: 30, atMs: 950 });
    expect(follower.replication.leaderStatus).toEqual({ lastSeq: 40, atMs: 900 });
    follower.replication.noteLeaderStatus({ lastSeq: 40, atMs: 990 });
    expect(follower.replication.leaderStatus).toEqual({ lastSeq: 40, atMs: 990 });
  });
});
