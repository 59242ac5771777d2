import { map, NEVER } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { type FollowerFeedback, InProcessTransport, shipSegments } from '../../streams/index.js';
import { ack, memoryLeader, sealedSegment, virtualClock } from './fixtures.js';

async function leaderWithSegments(count: number) {
  const vc = virtualClock();
  const db = await memoryLeader(vc.clock);
  for (let i = 0; i < count; i++) await sealedSegment(db, 3);
  return { db, vc };
}

describe('shipSegments', () => {
  it('ships nothing to a follower before its first feedback, then everything after its mark, in order', async () => {
    const { db, vc } = await leaderWithSegments(3);
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport({ capacity: 8 });
      const feedback = m.hot<FollowerFeedback>('---a--', { a: ack('f1', 3) });
      const shipped = shipSegments({ db, transport, followers: ['f1'], wake$: NEVER, feedback$: feedback });
      m.expect(shipped.pipe(map((e) => `${e.peer}:${e.segmentId}`))).toBeObservable('---(bc)', { b: 'f1:2', c: 'f1:3' });
      m.expect(feedback).toHaveSubscriptions('^');
    })();
  });

  it('ships to all followers in parallel; a follower whose buffer is full never delays the others', async () => {
    const { db, vc } = await leaderWithSegments(3);
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport({ capacity: 1 });
      transport.segments('fast').subscribe(); // consumes at once; 'slow' never reads
      const feedback = m.hot<FollowerFeedback>('-s-f', { s: ack('slow', 0), f: ack('fast', 0) });
      const shipped = shipSegments({ db, transport, followers: ['slow', 'fast'], wake$: NEVER, feedback$: feedback });
      m.expect(shipped.pipe(map((e) => `${e.peer}:${e.segmentId}`))).toBeObservable('-a-(bcd)', {
        a: 'slow:1', b: 'fast:1', c: 'fast:2', d: 'fast:3',
      });
    })();
    expect(db.wal.sealedSegments).toHaveLength(3);
  });

  it('wakes on new segments and ships each follower strictly in segment order', async () => {
    const vc = virtualClock();
    const db = await memoryLeader(vc.clock);
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport({ capacity: 8 });
      const feedback = m.hot<FollowerFeedback>('a', { a: ack('f1', 0) });
      const wake = m.hot('--w--w');
      m.cold('-x--x').subscribe(() => {
        void db.signal({ itemId: 'i', type: 'view' });
        void db.wal.seal();
      });
      const shipped = shipSegments({ db, transport, followers: ['f1'], wake$: wake, feedback$: feedback });
      m.expect(shipped.pipe(map((e) => e.segmentId))).toBeObservable('--a--b', { a: 1, b: 2 });
    })();
  });

  it('moves back to the follower\'s mark on a resend request', async () => {
    const { db, vc } = await leaderWithSegments(3);
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport({ capacity: 8 });
      transport.segments('f1').subscribe();
      const resend: FollowerFeedback = { peer: 'f1', kind: 'resend', appliedSeq: 3, receivedSeq: 9, atMs: 0 };
      const feedback = m.hot<FollowerFeedback>('a----r', { a: ack('f1', 0), r: resend });
      const shipped = shipSegments({ db, transport, followers: ['f1'], wake$: NEVER, feedback$: feedback });
      m.expect(shipped.pipe(map((e) => e.segmentId))).toBeObservable('(abc)(bc)', { a: 1, b: 2, c: 3 });
    })();
  });

  it('re-sends what was shipped but never acknowledged once retransmitAfterMs passes', async () => {
    const { db, vc } = await leaderWithSegments(2);
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport({ capacity: 8 });
      transport.segments('f1').subscribe(); // delivered, but the follower never applies (acks stay at 0)
      const feedback = m.hot<FollowerFeedback>('a 99ms a 99ms a', { a: ack('f1', 0) });
      const shipped = shipSegments({ db, transport, followers: ['f1'], wake$: NEVER, feedback$: feedback, retransmitAfterMs: 150 });
      m.expect(shipped.pipe(map((e) => e.segmentId))).toBeObservable('(ab) 196ms (ab)', { a: 1, b: 2 });
    })();
  });

  it('stops shipping to a follower that leaves the set and starts again when it rejoins', async () => {
    const { db, vc } = await leaderWithSegments(1);
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport({ capacity: 8 });
      transport.segments('f1').subscribe();
      transport.segments('f2').subscribe();
      const followers = m.hot<string[]>('a-b---c', { a: ['f1'], b: ['f2'], c: ['f1', 'f2'] });
      const feedback = m.hot<FollowerFeedback>('xy-y--x', { x: ack('f1', 0), y: ack('f2', 0) });
      const shipped = shipSegments({ db, transport, followers, wake$: NEVER, feedback$: feedback });
      // f1 ships at 0 and leaves at 2; f2's ack at 1 came before it joined, so it ships on its next (3);
      // f1 rejoins at 6 as a new session and ships again from its acked mark.
      m.expect(shipped.pipe(map((e) => e.peer))).toBeObservable('a--b--a', { a: 'f1', b: 'f2' });
      m.expect(followers).toHaveSubscriptions('^');
    })();
  });
});
