/**
 * Quorum acks over TCP in real time (issue 11): a follower with a directory
 * reports its durable mark in each feedback frame, and
 * leader.waitForFollowers(seq, { count: 1, level: 'durable' }) resolves once
 * the follower has stored the seqno with fsync; a quorum the set cannot
 * reach times out with ReplicationTimeout naming who did ack.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicationTimeoutError } from '../../../src/errors.js';
import { FollowerDb, TidalDb } from '../../../src/index.js';
import { type FollowerFeedback, startFollower, startLeader, TcpTransport } from '../../../streams/index.js';
import { HALF_LIVES } from '../fixtures.js';
import { FAST, TOKEN } from './tcpFixtures.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('waitForFollowers over TCP (real time)', () => {
  it('level durable resolves once a follower with a dir has fsynced the seqno; the durable mark crosses the wire; a quorum of 2 of f1 + ghost times out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidal-quorum-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const db = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const leaderEnd = await TcpTransport.listen({ port: 0, token: TOKEN, db, ...FAST });
    const feedback: FollowerFeedback[] = [];
    leaderEnd.feedback().subscribe((f) => feedback.push(f));
    // A ship tick far away: only the wait's own seal can make this fast.
    const leader = startLeader({ db, transport: leaderEnd, followers: ['f1', 'ghost'], shipIntervalMs: 60_000 });
    cleanup.push(() => db.close(), () => leaderEnd.close(), () => leader.stop());
    const replica = await FollowerDb.open({ dir, wal: { sync: 'fsync' } });
    const followerEnd = await TcpTransport.connect({ port: leaderEnd.port, peer: 'f1', token: TOKEN, db: replica, ...FAST });
    const follower = startFollower({ db: replica, transport: followerEnd, peer: 'f1', feedbackIntervalMs: 60_000 });
    cleanup.push(() => replica.close(), () => followerEnd.close(), () => follower.stop());

    let seq = 0;
    for (let i = 0; i < 10; i++) seq = await db.signal({ itemId: `i${i % 3}`, type: 'view', at: 1_000 + i });
    const startedAt = performance.now();
    const result = await leader.waitForFollowers(seq, { count: 1, level: 'durable', timeoutMs: 10_000 });
    expect(result).toEqual({ acked: ['f1'] });
    expect(performance.now() - startedAt).toBeLessThan(5_000); // never the 60 s tick
    expect(replica.lastSeq).toBe(seq);
    expect(feedback.some((f) => f.peer === 'f1' && f.durableSeq === seq)).toBe(true);

    const error = await leader.waitForFollowers(seq, { count: 2, level: 'durable', timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicationTimeoutError);
    expect((error as ReplicationTimeoutError).details).toEqual({ committedLocally: true, acked: ['f1'] });
  });
});
