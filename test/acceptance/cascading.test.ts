/**
 * Cascading followers (issue 11): leader → middle → edge, the middle a
 * follower that serves the edge with startRelay (docs/cascading.md). Faults
 * on both hops, the middle restarted from its directory, and fencing end to
 * end. In-process transports, real time; over TCP in cascadingTcp.test.ts.
 */
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, WalError } from '../../src/index.js';
import { InProcessTransport } from '../../streams/index.js';
import { faultsDone, faultyHop, segmentBytes, startEdge, startHead, startMiddle } from './cascadingFixtures.js';
import { HALF_LIVES, snapshotOf, tempDir, until, writeSignals } from './harness.js';

describe('Test a chain: leader → follower → follower, with faults on both hops, and restart the middle node', () => {
  it('converges through corrupt, duplicated, reordered and dropped segments on both hops and a restart of the middle', async () => {
    const dir = tempDir('cascade-middle');
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const edgeDb = await FollowerDb.open();
    const [up, down] = [faultyHop(11, 12), faultyHop(23, 12)];
    const head = startHead(leader, up);
    let middleDb = await FollowerDb.open({ dir });
    let middle = startMiddle(middleDb, up, down);
    const edge = startEdge(edgeDb, down);

    for (let round = 0; round < 6; round++) await writeSignals(leader, 100, 100, round * 100);
    await edgeDb.waitFor(600, { timeoutMs: 10_000 });
    // Restart the middle: close it, reopen it from its directory, resume receiving and serving.
    await middle.stop();
    await middleDb.close();
    for (let round = 6; round < 9; round++) await writeSignals(leader, 100, 100, round * 100); // while it is down
    middleDb = await FollowerDb.open({ dir });
    expect(middleDb.lastSeq).toBeGreaterThanOrEqual(600); // resumed from its own disk
    middle = startMiddle(middleDb, up, down);
    for (let round = 9; round < 12; round++) await writeSignals(leader, 100, 100, round * 100);
    await edgeDb.waitFor(1_200, { timeoutMs: 10_000 });

    expect(snapshotOf(edgeDb)).toEqual(snapshotOf(leader));
    expect(snapshotOf(middleDb)).toEqual(snapshotOf(leader));
    expect(faultsDone(up.counts)).toBeGreaterThan(0);
    expect(faultsDone(down.counts)).toBeGreaterThan(0);
    expect(up.counts.corrupt + down.counts.corrupt).toBeGreaterThan(0);
    const corrupt = [...middle.rejected, ...edge.rejected].filter((r) => r.error instanceof WalError && r.error.code === 'Corruption');
    expect(corrupt.length + (edgeDb.metrics.snapshot().counters['replication.rejections.Corruption'] ?? 0)).toBeGreaterThan(0);
    // Byte for byte: every segment the edge stored under a leader segment's id and range is that segment's bytes.
    let same = 0;
    for (const s of edgeDb.wal.sealedSegments) {
      const theirs = leader.wal.sealedSegments.find((l) => l.segmentId === s.segmentId);
      if (!theirs || theirs.firstSeq !== s.firstSeq || theirs.lastSeq !== s.lastSeq) continue; // not one of the leader's current segments (none here: an in-memory leader does not merge)
      expect(Buffer.from((await segmentBytes(edgeDb, s.firstSeq - 1))!).equals(Buffer.from((await segmentBytes(leader, s.firstSeq - 1))!))).toBe(true);
      same++;
    }
    expect(same).toBeGreaterThan(0);
    // Per hop on the middle's relay; end to end on the edge.
    await until(() => middleDb.metrics.snapshot().replicationLag['edge'] === 0, 'the middle to see the edge caught up', { timeoutMs: 5_000, pollMs: 10 });
    await until(() => edgeDb.knownLeaderSeq === leader.lastSeq && Number.isFinite(edgeDb.stalenessMs()), 'the edge to know the origin\'s seqno', { timeoutMs: 5_000, pollMs: 10 });

    await head.stop();
    await middle.stop();
    await edge.handle.stop();
    await Promise.all([leader.close(), middleDb.close(), edgeDb.close()]);
  }, 30_000);

  it('the middle\'s retention keeps what its followers have not acked, and an edge behind it is bootstrapped from the middle\'s checkpoint', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const middleDb = await FollowerDb.open();
    const [up, down] = [new InProcessTransport(), new InProcessTransport()];
    const head = startHead(leader, up);
    const edgePeers = new BehaviorSubject<string[]>(['edge', 'late']);
    const middle = startMiddle(middleDb, up, down, edgePeers);
    const edgeDb = await FollowerDb.open();
    const edge = startEdge(edgeDb, down);
    for (let round = 0; round < 5; round++) {
      await writeSignals(leader, 100, 100, round * 100);
      await edgeDb.waitFor(leader.lastSeq, { timeoutMs: 5_000 });
    }
    // 'late' has not connected: the middle keeps every segment for it across a checkpoint.
    await middleDb.checkpoint();
    expect(middleDb.wal.sealedSegments[0]!.firstSeq).toBe(1);
    // Out of the set, it holds nothing back: what the edge acked goes at the next checkpoint.
    edgePeers.next(['edge']);
    await writeSignals(leader, 100, 100, 500);
    await edgeDb.waitFor(leader.lastSeq, { timeoutMs: 5_000 });
    await until(() => middleDb.metrics.snapshot().replicationLag['edge'] === 0, 'the middle to hear the edge\'s ack', { timeoutMs: 5_000, pollMs: 10 });
    await middleDb.checkpoint();
    expect(middleDb.wal.sealedSegments[0]!.firstSeq).toBeGreaterThan(1);
    // Back in the set with nothing: the middle no longer holds seqno 1, so it ships its own latest checkpoint, then the rest.
    const lateDb = await FollowerDb.open();
    edgePeers.next(['edge', 'late']);
    const late = startEdge(lateDb, down, 'late');
    await lateDb.waitFor(leader.lastSeq, { timeoutMs: 5_000 });
    expect(middleDb.metrics.snapshot().counters['replication.shippedCheckpoints']).toBeGreaterThanOrEqual(1);
    expect(snapshotOf(lateDb)).toEqual(snapshotOf(leader));
    await Promise.all([head.stop(), middle.stop(), edge.handle.stop(), late.handle.stop()]);
    await Promise.all([leader.close(), middleDb.close(), edgeDb.close(), lateDb.close()]);
  }, 30_000);
});
