/**
 * Retention, catch-up and bootstrap: the leader keeps what followers need up
 * to maxRetainedBytes; a follower too far behind gets the latest checkpoint
 * first, then the segments after it, with no operator step.
 */
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { InProcessTransport, type ShipEvent, startFollower, startLeader } from '../../streams/index.js';
import { HALF_LIVES, snapshotOf, tempDir, writeSignals } from './harness.js';

describe('A follower too far behind what is retained receives the latest checkpoint first, then the segments after it', () => {
  it('joins late, is bootstrapped automatically, and ends identical to the leader', async () => {
    const leader = await TidalDb.open({ dir: tempDir('catchup'), halfLifeMs: HALF_LIVES, wal: { sync: 'none', maxRetainedBytes: 4_000 } });
    for (let i = 0; i < 10; i++) {
      await writeSignals(leader, 100, 50, i * 100);
      await leader.wal.seal();
    }
    await leader.checkpoint(); // retention drops the start of the log
    expect(leader.wal.sealedSegments[0]!.firstSeq).toBeGreaterThan(1);
    await writeSignals(leader, 100, 50, 1_000); // and more after the checkpoint
    const transport = new InProcessTransport();
    const shipped: ShipEvent[] = [];
    const l = startLeader({ db: leader, transport, followers: ['late'], shipIntervalMs: 20 });
    l.shipped$.subscribe((e) => shipped.push(e));
    const follower = await FollowerDb.open();
    const h = startFollower({ db: follower, transport, peer: 'late', feedbackIntervalMs: 30 });
    await follower.waitFor(leader.lastSeq, { timeoutMs: 5_000 });
    expect(shipped[0]!.kind).toBe('checkpoint');
    expect(shipped.slice(1).every((e) => e.kind === 'segment')).toBe(true);
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader));
    l.stop(); h.stop(); transport.close();
    await leader.close(); await follower.close();
  });

  it('holds segments a stopped follower still needs (replication slot) while under the cap', async () => {
    const leader = await TidalDb.open({ dir: tempDir('slot'), halfLifeMs: HALF_LIVES, wal: { sync: 'none', retainSegments: 0 } });
    const transport = new InProcessTransport();
    const l = startLeader({ db: leader, transport, followers: ['a'], shipIntervalMs: 20 });
    const follower = await FollowerDb.open();
    const h = startFollower({ db: follower, transport, peer: 'a', feedbackIntervalMs: 30 });
    const first = await writeSignals(leader, 100);
    await follower.waitFor(first, { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 100)); // its ack reaches the leader
    h.stop(); // the follower goes away at `first`
    for (let i = 1; i <= 5; i++) {
      await writeSignals(leader, 100, 50, i * 100);
      await leader.wal.seal();
    }
    await leader.checkpoint();
    // everything after the follower's mark is still there for it
    expect(leader.wal.sealedSegments[0]!.firstSeq).toBeLessThanOrEqual(first + 1);
    l.stop(); transport.close();
    await leader.close(); await follower.close();
  });
});
