/**
 * receiverFeedbackStep, the follower's feedback decision, on its own: ack
 * or re-send request, and the re-send rate limit (one per mark per interval).
 */
import fc from 'fast-check';
import { filter, map, merge, scan } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { emptyReceiverFeedback, type ReceiverEvent, type ReceiverFeedback, receiverFeedbackStep } from '../../streams/receiverFeedbackStep.js';

const applied = (appliedSeq: number, atMs: number, progressed = true, receivedSeq = appliedSeq): ReceiverEvent =>
  ({ kind: 'applied', progressed, receivedSeq, appliedSeq, atMs });
const rejected = (appliedSeq: number, atMs: number, receivedSeq = 0): ReceiverEvent => ({ kind: 'rejected', receivedSeq, appliedSeq, atMs });
const heartbeat = (appliedSeq: number, atMs: number): ReceiverEvent => ({ kind: 'heartbeat', appliedSeq, atMs });
const fold = (events: ReceiverEvent[], state = emptyReceiverFeedback(1_000)) => events.reduce(receiverFeedbackStep, state);

describe('receiverFeedbackStep', () => {
  it('acks what it applied, and what it already held; a heartbeat repeats the ack', () => {
    expect(fold([applied(5, 10)]).send).toEqual({ kind: 'ack', appliedSeq: 5, durableSeq: 5, receivedSeq: 5, atMs: 10 });
    expect(fold([applied(5, 10), applied(5, 11, false)]).send).toEqual({ kind: 'ack', appliedSeq: 5, durableSeq: 5, receivedSeq: 5, atMs: 11 });
    expect(fold([applied(5, 10), heartbeat(5, 20)]).send).toEqual({ kind: 'ack', appliedSeq: 5, durableSeq: 5, receivedSeq: 5, atMs: 20 });
  });

  it('asks for a re-send after a refused shipment; the heartbeat asks again while the gap stands at the mark', () => {
    const s = fold([applied(5, 0), rejected(5, 10, 9)]);
    expect(s.send).toEqual({ kind: 'resend', appliedSeq: 5, durableSeq: 5, receivedSeq: 9, atMs: 10 });
    expect(s.resendNeededAt).toBe(5);
    expect(receiverFeedbackStep(s, heartbeat(5, 1_010)).send?.kind).toBe('resend');
    expect(receiverFeedbackStep(s, heartbeat(7, 1_010)).send?.kind).toBe('ack'); // the mark moved: the gap is not this one
  });

  it('reports the three marks as soon as they move: a received shipment acks at once (received ahead), its apply acks durable and applied', () => {
    const received = (receivedSeq: number, appliedSeq: number, atMs: number): ReceiverEvent => ({ kind: 'received', receivedSeq, appliedSeq, atMs });
    const r = fold([applied(5, 0), received(9, 5, 1)]);
    expect(r.send).toEqual({ kind: 'ack', appliedSeq: 5, durableSeq: 5, receivedSeq: 9, atMs: 1 });
    expect(receiverFeedbackStep(r, received(9, 5, 2)).send).toBeNull(); // the received mark did not move: nothing to say
    expect(receiverFeedbackStep(r, applied(9, 3)).send).toEqual({ kind: 'ack', appliedSeq: 9, durableSeq: 9, receivedSeq: 9, atMs: 3 });
  });

  it('keeps the marks ordered in every message: received >= durable >= applied', () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant('applied' as const), progressed: fc.boolean(), receivedSeq: fc.nat(50), appliedSeq: fc.nat(50), atMs: fc.nat(5_000) }),
      fc.record({ kind: fc.constant('received' as const), receivedSeq: fc.nat(50), appliedSeq: fc.nat(50), atMs: fc.nat(5_000) }),
      fc.record({ kind: fc.constant('rejected' as const), receivedSeq: fc.nat(50), appliedSeq: fc.nat(50), atMs: fc.nat(5_000) }),
      fc.record({ kind: fc.constant('heartbeat' as const), appliedSeq: fc.nat(50), atMs: fc.nat(5_000) }),
    );
    fc.assert(fc.property(fc.array(event, { maxLength: 30 }), (events) => {
      let s = emptyReceiverFeedback(1_000);
      for (const e of events) {
        s = receiverFeedbackStep(s, e);
        if (s.send) expect(s.send.receivedSeq >= s.send.durableSeq && s.send.durableSeq >= s.send.appliedSeq).toBe(true);
      }
    }));
  });

  it('sends at most one re-send request per mark per interval', () => {
    const s = fold([rejected(5, 0)]);
    expect(receiverFeedbackStep(s, rejected(5, 999)).send).toBeNull();
    expect(receiverFeedbackStep(s, heartbeat(5, 999)).send).toBeNull();
    expect(receiverFeedbackStep(s, rejected(5, 1_000)).send?.kind).toBe('resend');
    expect(receiverFeedbackStep(s, rejected(6, 1)).send?.kind).toBe('resend'); // another mark
  });

  it('a shipment that applied clears the standing gap; one already held does not', () => {
    const gap = fold([rejected(5, 0)]);
    expect(receiverFeedbackStep(gap, applied(8, 1)).resendNeededAt).toBeNull();
    expect(receiverFeedbackStep(gap, applied(5, 1, false)).resendNeededAt).toBe(5);
  });

  it('believes no corrupt shipment: receivedSeq moves only with what passed validation', () => {
    const s = fold([applied(5, 0, true, 5), rejected(5, 1, 0), rejected(5, 2, 12)]);
    expect(s.receivedSeq).toBe(12);
    expect(fold([rejected(0, 1, 0)]).send?.receivedSeq).toBe(0);
  });

  it('the marble of its doc comment: one re-send per mark per interval (8 frames), in a scan', marbles((m) => {
    const rejections = m.hot('   -x--x-------x---');
    const heartbeats = m.hot('   ------h------h--');
    const expected = '          -R----------R---';
    const sent = merge(
      rejections.pipe(map(() => 'rejected' as const)),
      heartbeats.pipe(map(() => 'heartbeat' as const)),
    ).pipe(
      scan((s: ReceiverFeedback, kind) => receiverFeedbackStep(s, { kind, appliedSeq: 5, receivedSeq: 0, atMs: m.scheduler.now() } as ReceiverEvent),
        emptyReceiverFeedback(8)),
      filter((s) => s.send !== null),
      map((s) => (s.send!.kind === 'resend' ? 'R' : 'A')),
    );
    m.expect(sent).toBeObservable(expected);
    m.expect(rejections).toHaveSubscriptions('^');
  }));

  const eventArb: fc.Arbitrary<ReceiverEvent> = fc.oneof(
    fc.record({ kind: fc.constant('applied' as const), progressed: fc.boolean(), receivedSeq: fc.nat(20), appliedSeq: fc.nat(20), atMs: fc.nat(100) }),
    fc.record({ kind: fc.constant('rejected' as const), receivedSeq: fc.nat(20), appliedSeq: fc.nat(20), atMs: fc.nat(100) }),
    fc.record({ kind: fc.constant('heartbeat' as const), appliedSeq: fc.nat(20), atMs: fc.nat(100) }),
  );

  it('property: pure; an applied shipment is always acked; two re-send requests at one mark are an interval apart', () => {
    fc.assert(fc.property(fc.array(eventArb, { maxLength: 80 }).map((events) => {
      let t = 0;
      let mark = 0;
      // Time and the applied mark only move forward, as on a follower.
      return events.map((e) => ({ ...e, atMs: (t += e.atMs % 7), appliedSeq: (mark = Math.max(mark, e.appliedSeq % 4 === 0 ? e.appliedSeq : mark)) }));
    }), (events) => {
      let s = emptyReceiverFeedback(10);
      const resends = new Map<number, number>();
      for (const event of events) {
        const before = JSON.stringify(s);
        const next = receiverFeedbackStep(s, event);
        expect(JSON.stringify(s)).toBe(before);
        if (event.kind === 'applied') expect(next.send?.kind).toBe('ack');
        if (event.kind === 'rejected') expect(next.send?.kind).not.toBe('ack');
        if (next.send?.kind === 'resend') {
          const last = resends.get(event.appliedSeq);
          if (last !== undefined) expect(event.atMs - last).toBeGreaterThanOrEqual(10);
          resends.set(event.appliedSeq, event.atMs);
        }
        if (next.send) expect(next.send.receivedSeq).toBeGreaterThanOrEqual(next.send.appliedSeq);
        s = next;
      }
    }), { numRuns: 300 });
  });
});
