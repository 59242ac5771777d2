/**
 * Cascading followers over loopback TCP (issue 11): leader → middle → edge,
 * the middle a follower that listens for the edge (listenRelay) and serves
 * it (startRelay). Faults on both hops; the middle restarted from its
 * directory on the same port, both its pipelines resumed.
 */
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import {
  FaultInjectingTransport, type LeaderTransport, listenRelay, TcpTransport,
} from '../../streams/index.js';
import { faultPlan, faultsDone, startEdge, startHead, startMiddle } from './cascadingFixtures.js';
import { HALF_LIVES, snapshotOf, tempDir, until, writeSignals } from './harness.js';
import { liveHandles } from '../streams/transports/tcpFixtures.js';

const token = 'cascade-token-0123';
const heartbeatMs = 250;

/** The middle node over TCP: its link to the leader, its listener for the edge, and both pipelines. */
async function openMiddle(dir: string, leaderPort: number, servePort: number, seed: number) {
  const db = await FollowerDb.open({ dir });
  const up = await TcpTransport.connect({ port: leaderPort, peer: 'middle', token, db, heartbeatMs });
  const listener = await listenRelay({ port: servePort, token, db, heartbeatMs, followers: ['edge'] });
  const down = new FaultInjectingTransport<LeaderTransport>(listener, { plan: faultPlan(seed, 10) });
  const pipelines = startMiddle(db, up, down);
  return {
    db, listener, down,
    /** Stops both pipelines and closes both transports; the database stays open. */
    async stop() {
      await pipelines.stop();
      await up.close();
      await listener.close();
    },
    async close() {
      await this.stop();
      await db.close();
    },
  };
}

describe('Test a chain: leader → follower → follower over TCP, with faults on both hops, and restart the middle node', () => {
  it('converges, and the edge sees the origin\'s seqno end to end', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const leaderListener = await TcpTransport.listen({ port: 0, token, db: leader, heartbeatMs, followers: ['middle'] });
    const upFaults = new FaultInjectingTransport<LeaderTransport>(leaderListener, { plan: faultPlan(5, 10) });
    const head = startHead(leader, upFaults);
    const dir = tempDir('cascade-tcp-middle');
    let middle = await openMiddle(dir, leaderListener.port, 0, 7);
    const servePort = middle.listener.port;
    const edgeDb = await FollowerDb.open({ dir: tempDir('cascade-tcp-edge') });
    const edgeLink = await TcpTransport.connect({ port: servePort, peer: 'edge', token, db: edgeDb, heartbeatMs });
    const edge = startEdge(edgeDb, edgeLink);

    for (let round = 0; round < 5; round++) await writeSignals(leader, 100, 100, round * 100);
    await edgeDb.waitFor(500, { timeoutMs: 10_000 });
    const downFaults = faultsDone(middle.down.counts);
    await middle.close(); // the edge's link sees its leader go, and retries
    await writeSignals(leader, 100, 100, 500);
    middle = await openMiddle(dir, leaderListener.port, servePort, 13);
    expect(middle.db.lastSeq).toBeGreaterThanOrEqual(500);
    await writeSignals(leader, 100, 100, 600);
    await edgeDb.waitFor(700, { timeoutMs: 15_000 });

    expect(snapshotOf(edgeDb)).toEqual(snapshotOf(leader));
    expect(faultsDone(upFaults.counts)).toBeGreaterThan(0);
    expect(downFaults + faultsDone(middle.down.counts)).toBeGreaterThan(0);
    await until(() => edgeDb.knownLeaderSeq === leader.lastSeq, 'the edge to hear the origin\'s seqno through the middle', { timeoutMs: 5_000, pollMs: 20 });
    await until(() => Number.isFinite(edgeDb.stalenessMs()) && edgeDb.stalenessMs() < 2_000, 'the edge to be fresh end to end', { timeoutMs: 5_000, pollMs: 20 });

    await head.stop();
    await edge.handle.stop();
    await middle.close();
    await edgeLink.close();
    await leaderListener.close();
    await Promise.all([leader.close(), edgeDb.close()]);
  }, 40_000);

  it('a stopped relay leaves nothing running: no socket, server or timer outlives stop() and close()', async () => {
    const before = liveHandles();
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const leaderListener = await TcpTransport.listen({ port: 0, token, db: leader, heartbeatMs, followers: ['middle'] });
    const head = startHead(leader, leaderListener);
    const middle = await openMiddle(tempDir('cascade-tcp-exit'), leaderListener.port, 0, 3);
    const edgeDb = await FollowerDb.open();
    const edgeLink = await TcpTransport.connect({ port: middle.listener.port, peer: 'edge', token, db: edgeDb, heartbeatMs });
    const edge = startEdge(edgeDb, edgeLink);
    const last = await writeSignals(leader, 300);
    await edgeDb.waitFor(last, { timeoutMs: 10_000 });
    await head.stop();
    await edge.handle.stop();
    await middle.stop();
    await edgeLink.close();
    await leaderListener.close();
    // Before any database closes (a close would also fail, and so stop, a pipeline still running over it).
    await until(() => Object.entries(liveHandles()).every(([kind, n]) => n <= (before[kind] ?? 0)), 'every handle of the chain to be released', { timeoutMs: 3_000, pollMs: 20 });
    await Promise.all([leader.close(), middle.db.close(), edgeDb.close()]);
  }, 30_000);
});
