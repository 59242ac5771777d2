/**
 * Quorum acks (issue 11): leader.waitForFollowers(seq, { count, level,
 * timeoutMs }) in virtual time, with the followers' feedback played as
 * marbles on a transport whose feedback the test owns.
 */
import { EMPTY, type Observable, of, Subject } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { ReplicationTimeoutError, TidalError } from '../../src/errors.js';
import type { TidalDb } from '../../src/index.js';
import { awaitQuorum } from '../../streams/awaitQuorum.js';
import type { FollowerFeedback, LeaderTransport } from '../../streams/transport.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { memoryFollower, memoryLeader, virtualClock } from './fixtures.js';

/** A leader end that takes every segment at once and hears the feedback the test plays. */
function scriptedTransport(feedback$: Observable<FollowerFeedback>): LeaderTransport {
  return { sendSegment: async () => undefined, send$: () => of(undefined), feedback: () => feedback$, sendStatus: () => undefined };
}

/** Feedback from `peer` with its three marks. */
const marks = (peer: string, receivedSeq: number, durableSeq: number, appliedSeq: number): FollowerFeedback =>
  ({ peer, kind: 'ack', receivedSeq, durableSeq, appliedSeq, atMs: 0 });

async function leaderWith(n: number): Promise<{ db: TidalDb; use: (s: Parameters<ReturnType<typeof virtualClock>['use']>[0]) => void }> {
  const vc = virtualClock();
  const db = await memoryLeader(vc.clock);
  for (let i = 0; i < n; i++) await db.signal({ itemId: `i${i}`, type: 'view', at: 0 });
  return { db, use: vc.use };
}

describe('waitForFollowers(seq, { count, level, timeoutMs })', () => {
  it('resolves { acked } at the virtual ms the count-th follower reaches seq at the level', async () => {
    const { db, use } = await leaderWith(3);
    marbles((m) => {
      use(m.scheduler);
      const feedback = m.hot('--a--b----c--', { a: marks('f1', 3, 2, 2), b: marks('f2', 3, 3, 3), c: marks('f1', 3, 3, 3) });
      const l = startLeader({ db, transport: scriptedTransport(feedback), followers: ['f1', 'f2'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      const opts = (count: number) => ({ count, level: 'durable' as const, timeoutMs: 100, scheduler: m.scheduler });
      m.expect(l.waitForFollowers$(3, opts(1))).toBeObservable('-----(x|)', { x: { acked: ['f2'] } });
      m.expect(l.waitForFollowers$(3, opts(2))).toBeObservable('----------(y|)', { y: { acked: ['f1', 'f2'] } });
      m.expect(feedback).toHaveSubscriptions('^ 49ms !'); // the shipper holds the feedback until stop()
      m.scheduler.schedule(() => void l.stop(), 50);
    })();
    await db.close();
  });

  it('seals at once: the seqno is sealed at the call, not at the next ship tick', async () => {
    const { db, use } = await leaderWith(4);
    const sealedAt: Array<[number, number]> = [];
    marbles((m) => {
      use(m.scheduler);
      const l = startLeader({ db, transport: scriptedTransport(EMPTY), followers: ['f1'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      m.scheduler.schedule(() => {
        l.waitForFollowers$(4, { count: 1, level: 'received', timeoutMs: 50, scheduler: m.scheduler }).subscribe({ error: () => undefined });
      }, 7);
      for (const t of [6, 8]) m.scheduler.schedule(() => void sealedAt.push([t, db.replication.sealedThroughSeq]), t);
      m.scheduler.schedule(() => void l.stop(), 100);
    })();
    await new Promise((r) => setImmediate(r));
    expect(sealedAt).toEqual([[6, 0], [8, 4]]);
    await db.close();
  });

  it('times out with ReplicationTimeout carrying { committedLocally: true, acked }, never a rollback', async () => {
    const { db, use } = await leaderWith(2);
    let error: unknown;
    let erroredAt = -1;
    marbles((m) => {
      use(m.scheduler);
      const feedback = m.hot('--a---', { a: marks('f1', 2, 2, 2) });
      const l = startLeader({ db, transport: scriptedTransport(feedback), followers: ['f1', 'f2'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      m.scheduler.schedule(() => {
        l.waitForFollowers$(2, { count: 2, level: 'applied', timeoutMs: 30, scheduler: m.scheduler }).subscribe({
          error: (e: unknown) => { error = e; erroredAt = m.scheduler.now(); },
        });
      }, 1);
      m.scheduler.schedule(() => void l.stop(), 100);
    })();
    expect(erroredAt).toBe(31);
    expect(error).toBeInstanceOf(ReplicationTimeoutError);
    expect(error).toBeInstanceOf(TidalError);
    expect((error as ReplicationTimeoutError).code).toBe('ReplicationTimeout');
    expect((error as ReplicationTimeoutError).details).toEqual({ committedLocally: true, acked: ['f1'] });
    expect((error as Error).message).toMatch(/1 of 2 followers reached seqno 2 \(applied\) within 30 ms.*not rolled back/);
    expect(db.lastSeq).toBe(2); // still committed on the leader
    const counters = db.metrics.snapshot().counters;
    expect(counters['replication.quorumWaits.applied.timeout']).toBe(1);
    expect(counters['replication.quorumWaitSeconds.applied.sum']).toBeCloseTo(0.03);
    await db.close();
  });

  it('counts at the asked level: received, durable and applied resolve apart when the marks move apart', async () => {
    const { db, use } = await leaderWith(5);
    marbles((m) => {
      use(m.scheduler);
      const feedback = m.hot('-a--b---c', { a: marks('f1', 5, 0, 0), b: marks('f1', 5, 5, 0), c: marks('f1', 5, 5, 5) });
      const l = startLeader({ db, transport: scriptedTransport(feedback), followers: ['f1'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      const at = (level: 'received' | 'durable' | 'applied') => l.waitForFollowers$(5, { count: 1, level, timeoutMs: 100, scheduler: m.scheduler });
      m.expect(at('received')).toBeObservable('-(x|)', { x: { acked: ['f1'] } });
      m.expect(at('durable')).toBeObservable('----(x|)', { x: { acked: ['f1'] } });
      m.expect(at('applied')).toBeObservable('--------(x|)', { x: { acked: ['f1'] } });
      m.scheduler.schedule(() => void l.stop(), 50);
    })();
    await db.close();
  });

  it('refuses at once, as InvalidInput: count above the set, no timeoutMs (no wait-forever), a bad level, a seqno not written; count 0 resolves at once', async () => {
    const { db, use } = await leaderWith(1);
    const errors: string[] = [];
    marbles((m) => {
      use(m.scheduler);
      const l = startLeader({ db, transport: scriptedTransport(EMPTY), followers: ['f1', 'f2'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      const bad: Array<[number, unknown]> = [
        [1, { count: 3, level: 'durable', timeoutMs: 10 }],
        [1, { count: 1, level: 'durable' }],
        [1, { count: 1, level: 'durable', timeoutMs: Infinity }],
        [1, { count: 1, level: 'fsynced', timeoutMs: 10 }],
        [2, { count: 1, level: 'durable', timeoutMs: 10 }],
        [1, { count: -1, level: 'durable', timeoutMs: 10 }],
      ];
      for (const [seq, o] of bad) {
        l.waitForFollowers$(seq, o as never).subscribe({ error: (e: TidalError) => errors.push(`${m.scheduler.now()}:${e.code}:${e.message}`) });
      }
      m.expect(l.waitForFollowers$(1, { count: 0, level: 'applied', timeoutMs: 10, scheduler: m.scheduler })).toBeObservable('(x|)', { x: { acked: [] } });
      m.scheduler.schedule(() => void l.stop(), 20);
    })();
    expect(errors).toHaveLength(6);
    for (const e of errors) expect(e).toMatch(/^0:InvalidInput:waitForFollowers: /);
    expect(errors[0]).toMatch(/count 3 is more than the 2 followers in the set/);
    expect(errors[1]).toMatch(/timeoutMs is required/);
    await db.close();
  });

  it('errors with Closed when the shipper stops while it waits', async () => {
    const { db, use } = await leaderWith(1);
    let code = '';
    marbles((m) => {
      use(m.scheduler);
      const l = startLeader({ db, transport: scriptedTransport(EMPTY), followers: ['f1'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      l.waitForFollowers$(1, { count: 1, level: 'applied', timeoutMs: 100, scheduler: m.scheduler }).subscribe({ error: (e: TidalError) => (code = e.code) });
      m.scheduler.schedule(() => void l.stop(), 10);
    })();
    expect(code).toBe('Closed');
    await db.close();
  });

  it('the Promise form resolves over an in-process follower (apply durable there), sealing at once', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    let resolved: unknown = null;
    let observedAt = -1;
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport();
      const l = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      const f = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      m.scheduler.schedule(() => {
        void leader.signal({ itemId: 'a', type: 'view', at: 0 });
        const options = { count: 1, level: 'durable' as const, timeoutMs: 500, scheduler: m.scheduler };
        void l.waitForFollowers(1, options).then((r) => (resolved = r));
        l.waitForFollowers$(1, options).subscribe(() => (observedAt = m.scheduler.now()));
      }, 10);
      m.scheduler.schedule(() => {
        void l.stop();
        void f.stop();
      }, 2_000);
    })();
    await new Promise((r) => setImmediate(r));
    expect(resolved).toEqual({ acked: ['f1'] });
    expect(observedAt).toBe(10); // the ship tick is at 1000
  });
});

describe('awaitQuorum(leader, options)', () => {
  it('follows each committed seqno with its quorum wait, in order, emitting { seq, acked }; a timeout is an error notification', async () => {
    const { db, use } = await leaderWith(9);
    marbles((m) => {
      use(m.scheduler);
      const feedback = m.hot('--a----b----------', { a: marks('f1', 1, 1, 1), b: marks('f1', 5, 5, 5) });
      const l = startLeader({ db, transport: scriptedTransport(feedback), followers: ['f1'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      const seqs = m.cold('-x-y--z|', { x: 1, y: 5, z: 9 });
      const options = { count: 1, level: 'durable' as const, timeoutMs: 5, scheduler: m.scheduler };
      const expected = '--a----b----#'; // z at 6 waits behind 5's wait (resolved at 7): times out at 7 + 5
      m.expect(seqs.pipe(awaitQuorum(l, options))).toBeObservable(expected, { a: { seq: 1, acked: ['f1'] }, b: { seq: 5, acked: ['f1'] } },
        new ReplicationTimeoutError('waitForFollowers: 0 of 1 followers reached seqno 9 (durable) within 5 ms (acked: none); the write is committed on the leader, not rolled back',
          { committedLocally: true, acked: [] }));
      m.expect(seqs).toHaveSubscriptions('^------!'); // the seqnos complete at 7; the last wait goes on
      m.scheduler.schedule(() => void l.stop(), 50);
    })();
    await db.close();
  });

  it('an empty stream of seqnos completes at once; a subscriber that leaves cancels the wait (counted as cancelled)', async () => {
    const { db, use } = await leaderWith(1);
    marbles((m) => {
      use(m.scheduler);
      const l = startLeader({ db, transport: scriptedTransport(new Subject<FollowerFeedback>()), followers: ['f1'], shipIntervalMs: 1_000, checkpointIntervalMs: 0, scheduler: m.scheduler });
      const options = { count: 1, level: 'applied' as const, timeoutMs: 100, scheduler: m.scheduler };
      m.expect(m.cold('|').pipe(awaitQuorum(l, options))).toBeObservable('|');
      m.expect(m.cold('x', { x: 1 }).pipe(awaitQuorum(l, options)), '^--!').toBeObservable('---');
      m.scheduler.schedule(() => void l.stop(), 20);
    })();
    expect(db.metrics.snapshot().counters['replication.quorumWaits.applied.cancelled']).toBe(1);
    await db.close();
  });
});
