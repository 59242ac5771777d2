/**
 * Cascading followers (issue 11): the checksums and epochs travel unchanged
 * through a relay, and fencing still holds end to end (docs/cascading.md).
 */
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { InProcessTransport, listenRelay, startFollower, startLeader, startRelay } from '../../streams/index.js';
import { segmentBytes, startEdge, startHead, startMiddle } from './cascadingFixtures.js';
import { HALF_LIVES, snapshotOf, until, writeSignals } from './harness.js';

describe('Fencing still holds end to end through a relay', () => {
  it('a promoted middle goes on serving its edge in the new epoch, and the edge refuses the deposed leader\'s segments as Fenced', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const [middleDb, edgeDb] = [await FollowerDb.open(), await FollowerDb.open()];
    const [up, down] = [new InProcessTransport(), new InProcessTransport()];
    const head = startHead(leader, up);
    const middle = startMiddle(middleDb, up, down);
    const edge = startEdge(edgeDb, down);
    await writeSignals(leader, 200);
    await edgeDb.waitFor(200, { timeoutMs: 5_000 });
    expect(edgeDb.epoch).toBe(0);

    // Promote the middle: stop its receiving pipeline first; its relay handle keeps serving the edge.
    await middle.receiving.stop();
    expect(await middleDb.promote()).toBe(1);
    const seq = await writeSignals(middleDb, 50, 100, 200);
    await edgeDb.waitFor(seq, { timeoutMs: 5_000 });
    expect(edgeDb.epoch).toBe(1);
    expect(snapshotOf(edgeDb)).toEqual(snapshotOf(middleDb));
    await until(() => edgeDb.knownLeaderSeq === middleDb.lastSeq, 'the promoted middle to announce itself', { timeoutMs: 5_000, pollMs: 10 });

    // The deposed leader writes on in epoch 0: what it seals is refused by the edge, which has seen epoch 1.
    await head.stop();
    await writeSignals(leader, 10, 100, 900);
    const stale = (await firstValueFrom(leader.replication.seal$()))!;
    expect(stale.firstSeq).toBe(201);
    await expect(edgeDb.applySegment(stale)).rejects.toMatchObject({ code: 'Fenced' });
    expect(edgeDb.lastSeq).toBe(seq);

    await middle.serving.stop();
    await edge.handle.stop();
    await Promise.all([leader.close(), middleDb.close(), edgeDb.close()]);
  });

  it('an edge that holds a deposed leader\'s events refuses the new epoch relayed to it as Diverged', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const [middleDb, edgeDb, standbyDb] = [await FollowerDb.open(), await FollowerDb.open(), await FollowerDb.open()];
    const [up, down] = [new InProcessTransport(), new InProcessTransport()];
    const head = startLeader({ db: leader, transport: up, followers: ['middle'], shipIntervalMs: 20 });
    const middle = startMiddle(middleDb, up, down);
    const edge = startEdge(edgeDb, down);
    // A standby takes the first 100 events only, straight from the leader.
    await writeSignals(leader, 100);
    await leader.wal.seal();
    for await (const s of leader.wal.sealedSegmentsSince(0)) await standbyDb.applySegment(s);
    await writeSignals(leader, 100, 100, 100);
    await edgeDb.waitFor(200, { timeoutMs: 5_000 });
    await Promise.all([head.stop(), middle.stop(), edge.handle.stop()]);

    // The standby is promoted at 100 and writes; a fresh relay follows it, and the edge (at 200, epoch 0) follows that relay.
    expect(standbyDb.lastSeq).toBe(100);
    expect(await standbyDb.promote()).toBe(1);
    await writeSignals(standbyDb, 20, 100, 500);
    const relayDb = await FollowerDb.open();
    const [up2, down2] = [new InProcessTransport(), new InProcessTransport()];
    const newHead = startLeader({ db: standbyDb, transport: up2, followers: ['relay'], shipIntervalMs: 20 });
    const relayIn = startFollower({ db: relayDb, transport: up2, peer: 'relay', feedbackIntervalMs: 50 });
    const relayOut = startRelay({ db: relayDb, transport: down2, followers: ['edge'], shipIntervalMs: 20 });
    await relayDb.waitFor(standbyDb.lastSeq, { timeoutMs: 5_000 });
    const edge2 = startEdge(edgeDb, down2);
    await until(() => edge2.rejected.some((r) => (r.error as { code?: string }).code === 'Diverged'), 'the edge to refuse the new epoch', { timeoutMs: 5_000, pollMs: 10 });
    expect(edgeDb.lastSeq).toBe(200);
    expect(edgeDb.epoch).toBe(0);
    // The relay passed on the new leader's segment as it stored it: same bytes, epoch 1 in its header.
    expect(Buffer.from((await segmentBytes(relayDb, 100))!).equals(Buffer.from((await segmentBytes(standbyDb, 100))!))).toBe(true);

    await Promise.all([newHead.stop(), relayIn.stop(), relayOut.stop(), edge2.handle.stop()]);
    await Promise.all([leader.close(), middleDb.close(), edgeDb.close(), standbyDb.close(), relayDb.close()]);
  });

  it('startRelay refuses a leader database, and startLeader still refuses a follower', async () => {
    const [leader, follower] = [await TidalDb.open(), await FollowerDb.open()];
    const transport = new InProcessTransport();
    expect(() => startRelay({ db: leader, transport, followers: ['x'] })).toThrow(expect.objectContaining({ code: 'InvalidInput' }));
    expect(() => startLeader({ db: follower, transport, followers: ['x'] })).toThrow(expect.objectContaining({ code: 'ReadOnly' }));
    expect(() => startRelay({ db: follower, transport, followers: 'x' as never })).toThrow(expect.objectContaining({ code: 'InvalidInput' }));
    await expect(listenRelay({ port: 0, token: 'a-shared-secret-of-16-bytes', db: leader })).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('listenRelay serves from a follower database') });
    // A follower seen by the relay checks is still a follower everywhere else: no view of it lies about its role.
    expect(follower.isFollower()).toBe(true);
    await Promise.all([leader.close(), follower.close()]);
  });
});
