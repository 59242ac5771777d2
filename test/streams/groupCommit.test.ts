/**
 * Issue 9: "A follower group-commits: it applies what has arrived, makes it
 * durable with one fsync, and acks it all." Segments that reach
 * idempotentReplay while a store is in flight are stored together (one
 * append to the segment pack, one fdatasync), then applied and reported one
 * by one; a run is broken where a segment does not continue the one before.
 */
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import type { WalSegmentPayload } from '../../src/wal/walSegmentPayload.js';
import { idempotentReplay, validateChecksum } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { FaultPlan, FaultyStore } from '../reliability/faultyStore.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from '../wal/fixtures/workload.js';

async function leaderSegments(seals: number): Promise<{ leader: TidalDb; segments: WalSegmentPayload[] }> {
  const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, wal: { retainSegments: 1_000_000 } });
  const segments: WalSegmentPayload[] = [];
  for (let s = 0; s < seals; s++) {
    for (let i = 0; i < 3; i++) await writeNext(leader);
    segments.push((await leader.wal.seal())!);
  }
  return { leader, segments };
}

async function replay(follower: FollowerDb, segments: readonly WalSegmentPayload[]) {
  const rejected: string[] = [];
  const outcomes = await firstValueFrom(from(segments).pipe(
    validateChecksum({ next: (r) => rejected.push(r.error.message) }),
    idempotentReplay(follower),
    toArray(),
  ));
  return { outcomes, rejected };
}

const appends = (plan: FaultPlan) => plan.log.filter((op) => op.startsWith('follower appendSealed'));

describe('a follower group-commits', () => {
  it('stores the segments that arrived during a store with one append and one fsync, then applies and acks every one', async () => {
    const { leader, segments } = await leaderSegments(10);
    const plan = new FaultPlan();
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, store: await FaultyStore.open(tempDir('group-commit'), plan, 'follower') });
    const { outcomes } = await replay(follower, segments);
    expect(outcomes.map((o) => o.kind)).toEqual(segments.map(() => 'applied'));
    expect(outcomes.map((o) => o.segment.payload.segmentId)).toEqual(segments.map((s) => s.segmentId));
    // The first arrived alone; the other nine arrived while it was being stored.
    expect(appends(plan)).toEqual([
      `follower appendSealed ${segments[0]!.segmentId}`,
      `follower appendSealed ${segments.slice(1).map((s) => s.segmentId).join(',')}`,
    ]);
    expect(follower.lastSeq).toBe(leader.lastSeq);
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader));
    await follower.close();
    await leader.close();
  });

  it('a duplicate or a gap inside a group ends the run; each segment gets the outcome it would get alone', async () => {
    const { leader, segments } = await leaderSegments(6);
    const plan = new FaultPlan();
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, store: await FaultyStore.open(tempDir('group-commit-mixed'), plan, 'follower') });
    const [s1, s2, s3, s4, s5, s6] = segments as [WalSegmentPayload, WalSegmentPayload, WalSegmentPayload, WalSegmentPayload, WalSegmentPayload, WalSegmentPayload];
    const { outcomes } = await replay(follower, [s1, s2, s3, s2, s5, s4, s5, s6]);
    expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied', 'skipped', 'gap', 'applied', 'applied', 'applied']);
    expect(appends(plan)).toEqual([
      `follower appendSealed ${s1.segmentId}`,
      `follower appendSealed ${s2.segmentId},${s3.segmentId}`,
      `follower appendSealed ${s4.segmentId},${s5.segmentId},${s6.segmentId}`,
    ]);
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader));
    await follower.close();
    await leader.close();
  });

  it('a group whose store fails fails every segment of its run and applies none; the next arrivals are stored again', async () => {
    const { leader, segments } = await leaderSegments(5);
    const plan = new FaultPlan();
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, store: await FaultyStore.open(tempDir('group-commit-fail'), plan, 'follower') });
    await follower.applySegment(segments[0]!);
    plan.failAt = plan.log.length + 2; // the second appendSealed from here: the group after the first arrival
    const { outcomes } = await replay(follower, segments.slice(1));
    expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'failed', 'failed', 'failed']);
    expect(follower.lastSeq).toBe(segments[1]!.lastSeq);
    const again = await replay(follower, segments.slice(2));
    expect(again.outcomes.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied']);
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader));
    await follower.close();
    await leader.close();
  });
});
