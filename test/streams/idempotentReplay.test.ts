import { map, Subject } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { idempotentReplay, type SegmentRejection, validateChecksum } from '../../streams/index.js';
import { memoryFollower, memoryLeader, sealedSegment, stateOf } from './fixtures.js';

describe('idempotentReplay', () => {
  it('applies in order, skips duplicates, refuses gaps until the missing segment arrives', async () => {
    const leader = await memoryLeader(() => 0);
    const [s1, s2, s3] = [await sealedSegment(leader, 5), await sealedSegment(leader, 5), await sealedSegment(leader, 5)];
    const follower = await memoryFollower(() => 0);
    marbles((m) => {
      const rejected = new Subject<SegmentRejection>();
      const source = m.cold('a-a-c-b-c-b|', { a: s1!, b: s2!, c: s3! });
      const outcomes = source.pipe(validateChecksum(rejected), idempotentReplay(follower), map((o) => o.kind[0]));
      m.expect(outcomes).toBeObservable('a-s-g-a-a-s|', { a: 'a', s: 's', g: 'g' });
    })();
    expect(stateOf(follower, 0)).toEqual(stateOf(leader, 0));
    expect(follower.metrics.snapshot().gauges['replay.eventsSkipped']).toBe(10);
  });

  it('applies only the events after the high-water mark from a segment that overlaps it', async () => {
    const writes = async (maxSegmentBytes: number, sealAfter: readonly number[]) => {
      const db = await memoryLeader(() => 0, { wal: { maxSegmentBytes } });
      const out = [];
      for (let i = 1; i <= 10; i++) {
        void db.signal({ itemId: `i${i % 3}`, type: 'view', weight: i, at: i * 1000 });
        if (sealAfter.includes(i)) out.push((await db.wal.seal())!);
      }
      return { db, out };
    };
    const a = await writes(1 << 20, [5, 10]); // segment 1: 1..5, segment 2: 6..10
    const b = await writes(1 << 20, [3, 10]); // segment 1: 1..3, segment 2: 4..10 (a new segment must come after the last stored)
    const follower = await memoryFollower(() => 0);
    const results: Array<{ appliedEvents: number; skippedEvents: number }> = [];
    marbles((m) => {
      const rejected = new Subject<SegmentRejection>();
      m.cold('ab|', { a: a.out[0]!, b: b.out[1]! }).pipe(validateChecksum(rejected), idempotentReplay(follower))
        .subscribe((o) => o.kind === 'applied' && results.push(o.result));
    })();
    expect(results).toEqual([expect.objectContaining({ appliedEvents: 5, skippedEvents: 0 }), expect.objectContaining({ appliedEvents: 5, skippedEvents: 2 })]);
    expect(stateOf(follower, 20_000)).toEqual(stateOf(a.db, 20_000));
  });
});
