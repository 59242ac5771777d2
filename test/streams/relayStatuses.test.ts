/** What a shipper announces per tick (relayStatuses), and how a follower two hops down reads it (Freshness). */
import { describe, expect, it } from 'vitest';
import { relayStatuses } from '../../streams/relayStatuses.js';
import { memoryFollower, memoryLeader, sealedSegment } from './fixtures.js';

describe('Lag is reported per hop and end to end: a relay announces the origin leader\'s position', () => {
  it('a leader announces itself at now', () => {
    expect(relayStatuses({ isFollower: false, lastSeq: 12, stalenessMs: 0, leaderStatus: null }, 5_000)).toEqual([{ lastSeq: 12, atMs: 5_000 }]);
  });

  it('a relay announces its own position as of when it was fresh, then the origin\'s furthest one', () => {
    expect(relayStatuses({ isFollower: true, lastSeq: 90, stalenessMs: 250, leaderStatus: { lastSeq: 120, atMs: 9_900 } }, 10_000))
      .toEqual([{ lastSeq: 90, atMs: 9_750 }, { lastSeq: 120, atMs: 9_900 }]);
  });

  it('a relay caught up with its leader announces only its own position', () => {
    expect(relayStatuses({ isFollower: true, lastSeq: 120, stalenessMs: 40, leaderStatus: { lastSeq: 120, atMs: 9_900 } }, 10_000))
      .toEqual([{ lastSeq: 120, atMs: 9_960 }]);
  });

  it('a relay that never caught up claims no freshness: only the origin\'s position, if it heard one', () => {
    expect(relayStatuses({ isFollower: true, lastSeq: 0, stalenessMs: Infinity, leaderStatus: null }, 10_000)).toEqual([]);
    expect(relayStatuses({ isFollower: true, lastSeq: 0, stalenessMs: Infinity, leaderStatus: { lastSeq: 7, atMs: 1 } }, 10_000))
      .toEqual([{ lastSeq: 7, atMs: 1 }]);
  });

  it('a follower credits an announcement once it has applied it, even behind a further one in its queue', async () => {
    let now = 10_000;
    const clock = () => now;
    const [leader, follower] = [await memoryLeader(clock), await memoryFollower(clock)];
    const first = await sealedSegment(leader, 5);
    await sealedSegment(leader, 5);
    // Tick 1: the origin's position (10), then the relay's own (5, fresh as of 9_000): out of seqno order.
    follower.replication.noteLeaderStatus({ lastSeq: 10, atMs: 9_800 });
    follower.replication.noteLeaderStatus({ lastSeq: 5, atMs: 9_000 });
    expect(follower.stalenessMs()).toBe(Infinity);
    await follower.applySegment(first);
    now = 10_100;
    expect(follower.stalenessMs()).toBe(1_100); // fresh as of 9_000, although 10 is still ahead of it
    expect(follower.knownLeaderSeq).toBe(10);
  });
});
