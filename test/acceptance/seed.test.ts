/**
 * The seed's acceptance criteria (m8p2-wal-shipping-and-follower-replay.md),
 * one describe each, in real time. Those that hold whatever the transport
 * are in seedSuite.ts, run here over the in-process transport and in
 * seedOverTcp.test.ts over TCP; the ones here are about the in-process
 * transport itself or the database alone (the leader restart over TCP is in
 * tcp.test.ts and processes.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, TidalError } from '../../src/index.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { HALF_LIVES, snapshotOf, tempDir, writeItems, writeSignals } from './harness.js';
import { seedSuite } from './seedSuite.js';
import { copyDir } from '../db/tempDirs.js';

describe('Transport has sendSegment and recvSegment async methods; InProcessTransport implements them via bounded channels', () => {
  it('round-trips a segment and makes the sender wait while the peer buffer is full', async () => {
    const leader = await TidalDb.open();
    await writeSignals(leader, 10);
    const segment = (await leader.wal.seal())!;
    const transport = new InProcessTransport({ capacity: 1 });
    await transport.sendSegment('f', segment);
    let accepted = false;
    const waiting = transport.sendSegment('f', segment).then(() => (accepted = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toBe(false);
    expect((await transport.recvSegment('f')).checksum.equals(segment.checksum)).toBe(true);
    await waiting;
    expect(accepted).toBe(true);
    transport.close();
  });
});

describe('Follower rejects write operations with TidalError ReadOnly', () => {
  it('refuses signal() and writeItem() and changes nothing', async () => {
    const f = await FollowerDb.open();
    expect(f.isFollower()).toBe(true);
    await expect(f.signal({ itemId: 'a', type: 'view' })).rejects.toMatchObject({ name: 'TidalError', code: 'ReadOnly' });
    await expect(f.writeItem({ id: 'a', text: 'x' })).rejects.toBeInstanceOf(TidalError);
    expect(f.lastSeq).toBe(0);
    await f.close();
  });
});

describe('Leader crash and restart: the follower keeps serving reads; the leader resumes shipping from the follower\'s acked mark', () => {
  it('resumes from the mark, not from the beginning and not only from new segments', async () => {
    const dir = tempDir('leader-restart');
    const transport = new InProcessTransport();
    const follower = await FollowerDb.open();
    const f = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 50 });
    const leader1 = await TidalDb.open({ dir, halfLifeMs: HALF_LIVES });
    const l1 = startLeader({ db: leader1, transport, followers: ['f1'], shipIntervalMs: 30 });
    await writeItems(leader1, 50);
    const shipped = await writeSignals(leader1, 500);
    await follower.waitFor(shipped, { timeoutMs: 5_000 });
    l1.stop(); // the shipper dies with the process...
    const unshipped = await writeSignals(leader1, 200, 100, 500); // ...after these were acknowledged (fsync) but never sealed
    const before = snapshotOf(follower);
    // crash: what leader1's disk holds now (no checkpoint, active segment unsealed, its LOCK left behind)
    // is what leader2 opens; leader1 itself holds its directory's lock until it is closed below.
    const crashed = copyDir(dir, 'leader-crashed');
    expect(follower.search({ text: 'tidal', limit: 5 }).length).toBeGreaterThan(0); // reads go on meanwhile
    expect(snapshotOf(follower)).toEqual(before);
    const leader2 = await TidalDb.open({ dir: crashed, halfLifeMs: HALF_LIVES });
    expect(leader2.lastSeq).toBe(unshipped);
    const firstShipped: number[] = [];
    const l2 = startLeader({ db: leader2, transport, followers: ['f1'], shipIntervalMs: 30 });
    l2.shipped$.subscribe((e) => firstShipped.push(e.firstSeq));
    await follower.waitFor(unshipped, { timeoutMs: 5_000 });
    expect(firstShipped[0]).toBe(shipped + 1); // from the acked mark
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader2));
    l2.stop(); f.stop(); transport.close();
    await leader2.close(); await follower.close(); await leader1.close();
  });
});

seedSuite('in-process');
