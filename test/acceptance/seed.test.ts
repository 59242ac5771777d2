/**
 * The seed's acceptance criteria (m8p2-wal-shipping-and-follower-replay.md),
 * one describe each, in real time over the in-process transport.
 */
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, TidalError, WalError } from '../../src/index.js';
import { FaultInjectingTransport, InProcessTransport, type SegmentRejection, startFollower, startLeader } from '../../streams/index.js';
import { HALF_LIVES, snapshotOf, startCluster, T0, tempDir, until, writeItems, writeSignals } from './harness.js';

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

describe('WalShipper polls for newly sealed segments every ship interval (configurable) and ships to all registered followers in parallel', () => {
  it('delivers every write to three followers', async () => {
    const c = await startCluster({ followers: 3, shipIntervalMs: 30 });
    const last = await writeSignals(c.leader, 300);
    await Promise.all(c.followers.map((f) => f.waitFor(last, { timeoutMs: 5_000 })));
    for (const f of c.followers) expect(snapshotOf(f)).toEqual(snapshotOf(c.leader));
    await c.stop();
  });
});

describe('SegmentReceiver validates the BLAKE3 checksum of each received segment before replay; rejects corrupted segments with WalError Corruption', () => {
  it('rejects a segment with one flipped bit, applies nothing from it, and converges on the re-sent copy', async () => {
    const transport = new FaultInjectingTransport(new InProcessTransport(), { plan: ({ sent }) => (sent === 0 ? { corruptAt: 8 * 120 + 5 } : 'pass') });
    const c = await startCluster({ transport });
    const rejected: SegmentRejection[] = [];
    c.followerHandles[0]!.rejected$.subscribe((r) => rejected.push(r));
    const last = await writeSignals(c.leader, 200);
    await c.followers[0]!.waitFor(last, { timeoutMs: 5_000 });
    expect(rejected[0]!.error).toBeInstanceOf(WalError);
    expect((rejected[0]!.error as WalError).code).toBe('Corruption');
    expect(transport.counts.corrupt).toBe(1);
    expect(snapshotOf(c.followers[0]!)).toEqual(snapshotOf(c.leader));
    await c.stop();
  });
});

describe('Follower replay is idempotent: a segment at or below the high-water mark is a no-op (no duplicate signal counting)', () => {
  it('every segment delivered twice still counts each signal once', async () => {
    const transport = new FaultInjectingTransport(new InProcessTransport(), { plan: () => 'duplicate' });
    const c = await startCluster({ transport });
    const last = await writeSignals(c.leader, 500);
    await c.followers[0]!.waitFor(last, { timeoutMs: 5_000 });
    await until(() => transport.counts.duplicate > 0, 2_000, 'a duplicate');
    const f = c.followers[0]!;
    for (let i = 0; i < 100; i++) {
      expect(f.readDecayScore(`item-${i}`, 'view', T0)).toBe(c.leader.readDecayScore(`item-${i}`, 'view', T0));
    }
    expect(f.metrics.snapshot().gauges['replay.segmentsSkipped']).toBeGreaterThan(0);
    await c.stop();
  });
});

describe('ReplicationLagGauge reports leader seqno - follower applied seqno per follower, accessible via MetricsState', () => {
  it('shows the exact gap while a follower is stopped, and 0 once it catches up', async () => {
    const c = await startCluster({ followers: 2 });
    const first = await writeSignals(c.leader, 100);
    await Promise.all(c.followers.map((f) => f.waitFor(first, { timeoutMs: 5_000 })));
    await until(() => c.leader.metrics.snapshot().replicationLag['f2'] === 0, 2_000, 'f2 lag 0');
    c.followerHandles[1]!.stop(); // f2 stops applying and acking
    const last = await writeSignals(c.leader, 50, 100, 100);
    await c.followers[0]!.waitFor(last, { timeoutMs: 5_000 });
    await until(() => c.leader.metrics.snapshot().replicationLag['f1'] === 0, 2_000, 'f1 lag 0');
    const snap = c.leader.metrics.snapshot();
    expect(snap.replicationLag['f2']).toBe(c.leader.lastSeq - c.followers[1]!.lastSeq);
    expect(snap.replicationLag['f2']).toBe(50);
    expect(snap.followers['f2']!.ms).toBeGreaterThan(0);
    await c.stop();
  });
});

describe('Leader writes 1,000 signals, the follower replays all 1,000, and readDecayScore matches to 6 decimal places', () => {
  it('matches for every item and type at several read times', async () => {
    const c = await startCluster();
    const last = await writeSignals(c.leader, 1_000);
    expect(last).toBe(1_000);
    const f = c.followers[0]!;
    await f.waitFor(last, { timeoutMs: 5_000 });
    expect(f.lastSeq).toBe(1_000);
    for (const at of [T0, T0 + 43_200_000, T0 + 3 * 86_400_000]) {
      for (let i = 0; i < 100; i++) {
        for (const type of Object.keys(HALF_LIVES)) {
          expect(f.readDecayScore(`item-${i}`, type, at)).toBeCloseTo(c.leader.readDecayScore(`item-${i}`, type, at), 6);
        }
      }
    }
    await c.stop();
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

describe('Replication lag converges to 0 within 5 seconds after the leader quiesces (in-process, real time)', () => {
  it('with the default 2 s ship interval', async () => {
    const transport = new InProcessTransport();
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const follower = await FollowerDb.open();
    const l = startLeader({ db: leader, transport, followers: ['f1'] });
    const f = startFollower({ db: follower, transport, peer: 'f1' });
    await writeSignals(leader, 2_000);
    const quiescedAt = Date.now();
    await until(() => leader.metrics.snapshot().replicationLag['f1'] === 0, 5_000, 'lag 0');
    expect(Date.now() - quiescedAt).toBeLessThan(5_000);
    expect(follower.lastSeq).toBe(leader.lastSeq);
    l.stop(); f.stop(); transport.close();
    await leader.close(); await follower.close();
  }, 10_000);
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
    // crash: leader1 is abandoned without close() (no checkpoint, active segment unsealed)
    expect(follower.search({ text: 'tidal', limit: 5 }).length).toBeGreaterThan(0); // reads go on meanwhile
    expect(snapshotOf(follower)).toEqual(before);
    const leader2 = await TidalDb.open({ dir, halfLifeMs: HALF_LIVES });
    expect(leader2.lastSeq).toBe(unshipped);
    const firstShipped: number[] = [];
    const l2 = startLeader({ db: leader2, transport, followers: ['f1'], shipIntervalMs: 30 });
    l2.shipped$.subscribe((e) => firstShipped.push(e.firstSeq));
    await follower.waitFor(unshipped, { timeoutMs: 5_000 });
    expect(firstShipped[0]).toBe(shipped + 1); // from the acked mark
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader2));
    l2.stop(); f.stop(); transport.close();
    await leader2.close(); await follower.close();
  });
});

describe('FollowerDb serves retrieve() and search() against its local replayed state', () => {
  it('answers exactly as the leader does', async () => {
    const c = await startCluster();
    await writeItems(c.leader, 100);
    const last = await writeSignals(c.leader, 2_000);
    const f = c.followers[0]!;
    await f.waitFor(last, { timeoutMs: 5_000 });
    const at = T0 + 86_400_000;
    expect(f.retrieve({ signal: 'view', limit: 10, at })).toEqual(c.leader.retrieve({ signal: 'view', limit: 10, at }));
    expect(f.search({ text: 'wave reef', at })).toEqual(c.leader.search({ text: 'wave reef', at }));
    expect(f.search({ text: 'harbour', signal: 'like', at })).toEqual(c.leader.search({ text: 'harbour', signal: 'like', at }));
    expect(f.getItem('item-7')).toEqual(c.leader.getItem('item-7'));
    await c.stop();
  });
});

describe('Done when: 10,000 signals, the follower replays all with lag < 5 s, and its retrieve() matches the leader\'s', () => {
  it('converges within 5 s of the last write', async () => {
    const c = await startCluster({ shipIntervalMs: 2_000, feedbackIntervalMs: 1_000 });
    await writeItems(c.leader, 100);
    const last = await writeSignals(c.leader, 10_000);
    const wroteAt = Date.now();
    await c.followers[0]!.waitFor(last, { timeoutMs: 5_000 });
    expect(Date.now() - wroteAt).toBeLessThan(5_000);
    expect(c.followers[0]!.retrieve({ signal: 'view', at: T0 })).toEqual(c.leader.retrieve({ signal: 'view', at: T0 }));
    expect(snapshotOf(c.followers[0]!)).toEqual(snapshotOf(c.leader));
    await c.stop();
  }, 10_000);
});

describe('Replication counters in MetricsState: bytes and segments shipped, rejections by reason', () => {
  it('counts what the leader shipped and what the follower rejected', async () => {
    const transport = new FaultInjectingTransport(new InProcessTransport(), { plan: ({ sent }) => (sent === 1 ? { corruptAt: 8 * 100 } : 'pass') });
    const c = await startCluster({ transport });
    let shippedBytes = 0;
    c.leaderHandle.shipped$.subscribe((e) => (shippedBytes += e.bytes));
    for (let i = 0; i < 3; i++) {
      const last = await writeSignals(c.leader, 100, 100, i * 100);
      await c.followers[0]!.waitFor(last, { timeoutMs: 5_000 });
    }
    const leader = c.leader.metrics.snapshot().counters;
    expect(leader['replication.shippedBytes']).toBe(shippedBytes);
    expect(leader['replication.shippedSegments']).toBeGreaterThanOrEqual(4);
    expect(leader['replication.resendRequests']).toBeGreaterThanOrEqual(1);
    expect(c.followers[0]!.metrics.snapshot().counters['replication.rejections.Corruption']).toBe(1);
    await c.stop();
  });
});
