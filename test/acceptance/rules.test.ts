/**
 * The rules beyond the seed: persistence and resume of followers,
 * isolation of slow followers, acks only after durable apply, followers
 * joining and leaving, and nothing left waiting or running after stop().
 */
import { splitPack } from '../../src/wal/segmentPack.js';
import * as fs from 'node:fs';
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { segmentFileName } from '../../src/wal/segmentStore.js';
import { type FollowerFeedback, InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { HALF_LIVES, snapshotOf, startCluster, tempDir, until, writeSignals } from './harness.js';

describe('With a dir, a follower persists what it replayed and a restarted follower resumes from its own high-water mark', () => {
  it('reopens at its mark, serves reads at once, and receives only what came after', async () => {
    const dir = tempDir('follower');
    const transport = new InProcessTransport();
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const l = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 30 });
    const f1 = await FollowerDb.open({ dir });
    const h1 = startFollower({ db: f1, transport, peer: 'f1', feedbackIntervalMs: 50 });
    const first = await writeSignals(leader, 300);
    await f1.waitFor(first, { timeoutMs: 5_000 });
    h1.stop();
    await f1.close();
    const last = await writeSignals(leader, 200, 100, 300);
    const f2 = await FollowerDb.open({ dir });
    expect(f2.lastSeq).toBe(first);
    expect(f2.retrieve({ signal: 'view', limit: 3 }).length).toBe(3);
    const applied: number[] = [];
    const h2 = startFollower({ db: f2, transport, peer: 'f1', feedbackIntervalMs: 50 });
    h2.applied$.subscribe((r) => applied.push(r.firstSeq));
    await f2.waitFor(last, { timeoutMs: 5_000 });
    expect(Math.min(...applied)).toBeGreaterThan(first - 1);
    expect(snapshotOf(f2)).toEqual(snapshotOf(leader));
    l.stop(); h2.stop(); transport.close();
    await leader.close(); await f2.close();
  });
});

describe('A follower acknowledges a seqno only after it is applied and, with a dir, durable there', () => {
  it('every ack is at or below the follower high-water mark and its segment file exists when the ack is sent', async () => {
    const dir = tempDir('ack');
    const transport = new InProcessTransport();
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const follower = await FollowerDb.open({ dir });
    const violations: string[] = [];
    let acks = 0;
    transport.feedback().subscribe((f: FollowerFeedback) => {
      if (f.kind !== 'ack' || f.appliedSeq === 0) return;
      acks++;
      if (f.appliedSeq > follower.lastSeq) violations.push(`ack ${f.appliedSeq} ahead of applied ${follower.lastSeq}`);
      const covering = follower.wal.sealedSegments.find((s) => s.firstSeq <= f.appliedSeq && s.lastSeq >= f.appliedSeq);
      if (!covering || !segmentOnDisk(dir, covering.segmentId)) violations.push(`ack ${f.appliedSeq} before its segment is on disk`);
    });
    const l = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 20 });
    const h = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 30 });
    const last = await writeSignals(leader, 1_000);
    await follower.waitFor(last, { timeoutMs: 5_000 });
    await until(() => acks > 3, 'acks', { timeoutMs: 2_000, pollMs: 5 });
    expect(violations).toEqual([]);
    l.stop(); h.stop(); transport.close();
    await leader.close(); await follower.close();
  });
});

describe('One slow or stopped follower never delays the others, and never grows the leader\'s memory without bound', () => {
  it('keeps shipping to the live follower while the stopped one holds at most `capacity` segments', async () => {
    const c = await startCluster({ followers: 2, transport: new InProcessTransport({ capacity: 2 }), leader: { wal: { maxSegmentBytes: 2048 } } });
    await writeSignals(c.leader, 10);
    await c.followers[1]!.waitFor(10, { timeoutMs: 5_000 });
    c.followerHandles[1]!.stop(); // f2 stops reading
    for (let round = 0; round < 5; round++) {
      const last = await writeSignals(c.leader, 400, 100, 10 + round * 400);
      await c.followers[0]!.waitFor(last, { timeoutMs: 5_000 });
    }
    expect(c.leader.wal.sealedSegments.length).toBeGreaterThan(2 * 2); // more than f2's buffer could hold
    expect((c.transport as InProcessTransport).buffered('f2')).toBeLessThanOrEqual(2);
    expect(c.followers[1]!.lastSeq).toBe(10);
    await c.stop();
  });
});

describe('followers may be an Observable of the set: followers join and leave', () => {
  it('a follower that joins later catches up from its own mark; one that leaves stops receiving', async () => {
    const transport = new InProcessTransport();
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const set = new BehaviorSubject<string[]>(['a']);
    const l = startLeader({ db: leader, transport, followers: set, shipIntervalMs: 20 });
    const [a, b] = [await FollowerDb.open(), await FollowerDb.open()];
    const ha = startFollower({ db: a, transport, peer: 'a', feedbackIntervalMs: 30 });
    const hb = startFollower({ db: b, transport, peer: 'b', feedbackIntervalMs: 30 });
    const first = await writeSignals(leader, 200);
    await a.waitFor(first, { timeoutMs: 5_000 });
    expect(b.lastSeq).toBe(0);
    set.next(['a', 'b']);
    await b.waitFor(first, { timeoutMs: 5_000 });
    set.next(['b']);
    await new Promise((r) => setTimeout(r, 50));
    const last = await writeSignals(leader, 100, 100, 200);
    await b.waitFor(last, { timeoutMs: 5_000 });
    expect(a.lastSeq).toBe(first);
    expect(Object.keys(leader.metrics.snapshot().replicationLag)).toEqual(['b']);
    l.stop(); ha.stop(); hb.stop(); transport.close();
    await leader.close(); await a.close(); await b.close();
  });
});

describe('Every promise and stream the API hands out settles; nothing waits forever after stop()', () => {
  it('a pending waitFor rejects with Closed on close; pending transport calls reject on close; streams complete', async () => {
    const follower = await FollowerDb.open();
    const waiting = follower.waitFor(10, { timeoutMs: 60_000 });
    const transport = new InProcessTransport();
    const receiving = transport.recvSegment('f1');
    const h = startFollower({ db: follower, transport, peer: 'f1' });
    let completed = 0;
    h.applied$.subscribe({ complete: () => completed++ });
    h.rejected$.subscribe({ complete: () => completed++ });
    h.lag$.subscribe({ complete: () => completed++ });
    h.stop();
    transport.close();
    await follower.close();
    await expect(waiting).rejects.toMatchObject({ code: 'Closed' });
    await expect(receiving).rejects.toMatchObject({ code: 'Closed' });
    expect(completed).toBe(3);
  });

  it('stop() and close() leave no timer or handle behind', async () => {
    const baseline = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const c = await startCluster({ followers: 2, leader: { dir: tempDir('teardown') } });
    await writeSignals(c.leader, 100);
    await c.followers[0]!.waitFor(100, { timeoutMs: 5_000 });
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeGreaterThan(baseline);
    await c.stop();
    await new Promise((r) => setImmediate(r));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(baseline);
  });
});

describe('The leader seals on its ship interval even with no follower connected', () => {
  it('seals each tick\'s writes into a segment with an empty follower set', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const transport = new InProcessTransport();
    const l = startLeader({ db: leader, transport, followers: [], shipIntervalMs: 20 });
    await writeSignals(leader, 50);
    await until(() => leader.wal.sealedSegments.length === 1, 'a timer seal', { timeoutMs: 2_000, pollMs: 5 });
    expect(leader.wal.sealedSegments[0]!.lastSeq).toBe(50);
    l.stop(); transport.close();
    await leader.close();
  });
});

/** True when the segment is in the directory: its own file, or a segment pack holding it whole. */
function segmentOnDisk(dir: string, segmentId: number): boolean {
  if (fs.existsSync(`${dir}/${segmentFileName(0, segmentId)}`)) return true;
  return fs.readdirSync(dir).filter((n) => n.endsWith('.wals'))
    .some((n) => splitPack(fs.readFileSync(`${dir}/${n}`)).segments.some((s) => s.segmentId === segmentId));
}
