/**
 * followerCursorStep, a follower's cursor on the leader, on its own; and
 * shipSegments cancelling a send in flight when the cursor moves back (what
 * the old `rewinds` counter stood in for).
 */
import fc from 'fast-check';
import { map, NEVER } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { type FollowerFeedback, InProcessTransport, shipSegments } from '../../streams/index.js';
import { emptyFollowerCursor, type FollowerCursor, type FollowerCursorEvent, followerCursorStep } from '../../streams/followerCursorStep.js';
import { ack, memoryLeader, sealedSegment, virtualClock } from './fixtures.js';

const fb = (appliedSeq: number, atMs: number, kind: 'ack' | 'resend' = 'ack'): FollowerCursorEvent =>
  ({ kind: 'feedback', feedback: { peer: 'f', kind, appliedSeq, receivedSeq: appliedSeq, atMs }, atMs });
const shipped = (firstSeq: number, lastSeq: number, atMs: number, checkpoint = false): FollowerCursorEvent => ({ kind: 'shipped', firstSeq, lastSeq, checkpoint, atMs });
const fold = (events: FollowerCursorEvent[], cursor = emptyFollowerCursor(100)) => events.reduce(followerCursorStep, cursor);

describe('followerCursorStep', () => {
  it('nothing to ship before the first feedback; that feedback says where to start (a restart)', () => {
    expect(followerCursorStep(emptyFollowerCursor(100), { kind: 'wake' })).toMatchObject({ seq: null, drain: 'resume' });
    expect(fold([fb(7, 5)])).toMatchObject({ seq: 7, ackedSeq: 7, lastProgressMs: 5, drain: 'restart' });
  });

  it('moves forward with what the transport accepted and with acks past it; a resend request moves it back (restart)', () => {
    let c = fold([fb(0, 0), shipped(1, 5, 1), shipped(6, 9, 2)]);
    expect(c).toMatchObject({ seq: 9, drain: 'none' });
    c = followerCursorStep(c, fb(12, 3)); // the follower has more than this leader shipped it (e.g. before a restart)
    expect(c).toMatchObject({ seq: 12, ackedSeq: 12, drain: 'resume' });
    c = followerCursorStep(c, fb(5, 4, 'resend'));
    expect(c).toMatchObject({ seq: 5, ackedSeq: 12, lastProgressMs: 4, drain: 'restart' });
  });

  it('acks short of what was shipped, with no progress for retransmitAfterMs, rewind to the ack (lost in transit)', () => {
    let c = fold([fb(0, 0), shipped(1, 5, 0)]);
    c = followerCursorStep(c, fb(0, 99));
    expect(c).toMatchObject({ seq: 5, drain: 'resume' });
    c = followerCursorStep(c, fb(0, 100));
    expect(c).toMatchObject({ seq: 0, lastProgressMs: 100, drain: 'restart' });
  });

  it('a shipment counts as progress only when the follower can use it (it continues from the ack, or is a checkpoint)', () => {
    const c = fold([fb(0, 0), shipped(1, 5, 10)]);
    expect(c.lastProgressMs).toBe(10);
    expect(followerCursorStep(c, shipped(9, 12, 20)).lastProgressMs).toBe(10); // a gap after the ack
    expect(followerCursorStep(c, shipped(1, 30, 20, true)).lastProgressMs).toBe(20);
  });

  const eventArb: fc.Arbitrary<FollowerCursorEvent> = fc.oneof(
    fc.record({ kind: fc.constant('wake' as const) }),
    fc.record({
      kind: fc.constant('feedback' as const), atMs: fc.nat(10_000),
      feedback: fc.record({ peer: fc.constant('f'), kind: fc.constantFrom('ack' as const, 'resend' as const), appliedSeq: fc.nat(100), receivedSeq: fc.nat(100), atMs: fc.constant(0) }),
    }),
    fc.record({ kind: fc.constant('shipped' as const), firstSeq: fc.integer({ min: 1, max: 100 }), lastSeq: fc.nat(100), checkpoint: fc.boolean(), atMs: fc.nat(10_000) }),
  );

  it('property: pure; the ack only grows; a restart moves the cursor to the follower\'s mark, and only feedback restarts', () => {
    fc.assert(fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
      let c: FollowerCursor = emptyFollowerCursor(100);
      for (const event of events) {
        const before = JSON.stringify(c);
        const next = followerCursorStep(c, event);
        expect(JSON.stringify(c)).toBe(before);
        expect(next.ackedSeq).toBeGreaterThanOrEqual(c.ackedSeq);
        if (next.drain === 'restart') {
          expect(event.kind).toBe('feedback');
          expect(next.seq).toBe((event as Extract<FollowerCursorEvent, { kind: 'feedback' }>).feedback.appliedSeq);
        }
        if (c.seq !== null) expect(next.seq).not.toBeNull();
        if (event.kind === 'shipped' && c.seq !== null) expect(next.seq).toBe(Math.max(c.seq, event.lastSeq));
        c = next;
      }
    }), { numRuns: 300 });
  });
});

describe('shipSegments: a rewind cancels the send in flight', () => {
  it('a resend request withdraws the send waiting on a full buffer and ships again from the mark', async () => {
    const vc = virtualClock();
    const db = await memoryLeader(vc.clock);
    for (let i = 0; i < 3; i++) await sealedSegment(db, 2); // segments 1..3: seqnos 1-2, 3-4, 5-6
    const received: number[] = [];
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport({ capacity: 1 });
      const resend: FollowerFeedback = { peer: 'f1', kind: 'resend', appliedSeq: 0, receivedSeq: 0, atMs: 0 };
      const feedback = m.hot<FollowerFeedback>('a---r', { a: ack('f1', 0), r: resend });
      // Segment 1 fills the buffer; segment 2 waits for room. The resend request at 4 withdraws it: segment 1 is
      // shipped again, waiting in turn. When the follower takes one (at 8), the re-sent segment 1 is accepted.
      m.cold('--------t').subscribe(() => transport.receive$('f1').subscribe((s) => received.push((s as { segmentId: number }).segmentId)));
      const result = shipSegments({ db, transport, followers: ['f1'], wake$: NEVER, feedback$: feedback }).pipe(map((e) => e.segmentId));
      m.expect(result).toBeObservable('a-------a', { a: 1 });
    })();
    expect(received).toEqual([1]);
  });
});
