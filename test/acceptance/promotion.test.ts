/**
 * Promotion with fencing: a follower becomes the leader of a new epoch;
 * segments of the old epoch are refused by everyone who has seen the new one.
 */
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { HALF_LIVES, snapshotOf, tempDir, writeSignals } from './harness.js';

async function replicateAll(leader: TidalDb, followers: TidalDb[]): Promise<void> {
  for (const f of followers) {
    for await (const s of leader.wal.sealedSegmentsSince(f.lastSeq)) await f.applySegment(s);
  }
}

describe('follower.promote() turns a follower into a leader at its high-water mark with a new epoch', () => {
  it('takes writes after promotion, in epoch + 1, and keeps the epoch across a restart', async () => {
    const dir = tempDir('promote');
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const follower = await FollowerDb.open({ dir });
    await writeSignals(leader, 100);
    await leader.wal.seal();
    await replicateAll(leader, [follower]);
    expect(follower.epoch).toBe(0);
    await expect(follower.signal({ itemId: 'x', type: 'view' })).rejects.toMatchObject({ code: 'ReadOnly' });
    expect(await follower.promote()).toBe(1);
    expect(follower.isFollower()).toBe(false);
    expect(await follower.signal({ itemId: 'x', type: 'view', at: 5 })).toBe(101);
    const sealed = (await follower.wal.seal())!;
    expect(sealed.firstSeq).toBe(101);
    await follower.close();
    const reopened = await TidalDb.open({ dir });
    expect(reopened.epoch).toBe(1);
    expect(reopened.lastSeq).toBe(101);
    await expect(reopened.promote()).rejects.toMatchObject({ code: 'InvalidInput' });
    await reopened.close();
  });
});

describe('Segments stamped with an older epoch are refused by everyone who has seen the newer one', () => {
  it('a returning old leader cannot split the history: its segments are Fenced, state follows the new leader', async () => {
    const old = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const [f1, f2] = [await FollowerDb.open(), await FollowerDb.open()];
    await writeSignals(old, 200);
    await old.wal.seal();
    await replicateAll(old, [f1, f2]);
    await f1.promote(); // f1 leads epoch 1
    const transport = new InProcessTransport();
    const l = startLeader({ db: f1, transport, followers: ['f2'], shipIntervalMs: 20 });
    const h = startFollower({ db: f2, transport, peer: 'f2', feedbackIntervalMs: 30 });
    const last = await writeSignals(f1, 50, 100, 200);
    await f2.waitFor(last, { timeoutMs: 5_000 });
    expect(f2.epoch).toBe(1);
    // the old leader comes back and writes on, in epoch 0
    await writeSignals(old, 30, 100, 200);
    const stale = (await old.wal.seal())!;
    await expect(f2.applySegment(stale)).rejects.toMatchObject({ name: 'TidalError', code: 'Fenced' });
    await expect(f1.applySegment(stale)).rejects.toMatchObject({ code: 'Fenced' });
    expect(snapshotOf(f2)).toEqual(snapshotOf(f1));
    l.stop(); h.stop(); transport.close();
  });

  it('a follower that applied more of the old leader than the promoted one refuses the new epoch as Diverged', async () => {
    const old = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const [behind, ahead] = [await FollowerDb.open(), await FollowerDb.open()];
    await writeSignals(old, 50);
    await old.wal.seal();
    await replicateAll(old, [behind, ahead]);
    await writeSignals(old, 50, 100, 50);
    await old.wal.seal();
    await replicateAll(old, [ahead]); // only `ahead` got seqnos 51..100
    await behind.promote();
    await writeSignals(behind, 10, 100, 50);
    const next = (await behind.wal.seal())!;
    const before = snapshotOf(ahead);
    await expect(ahead.applySegment(next)).rejects.toMatchObject({ code: 'Diverged' });
    expect(snapshotOf(ahead)).toEqual(before);
  });
});
