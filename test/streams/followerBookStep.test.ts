/**
 * followerBookStep, the leader's book of its followers, on its own: who is
 * in the set, their acks, the replication slot, and the seal gate it feeds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FollowerFeedback } from '../../streams/index.js';
import {
  emptyFollowerBook, type FollowerBook, type FollowerBookEvent, followersAt, followerBookStep, followersBehind, retentionFloor,
} from '../../streams/followerBookStep.js';

const fb = (peer: string, appliedSeq: number, kind: 'ack' | 'resend' = 'ack'): FollowerFeedback => ({ peer, kind, appliedSeq, receivedSeq: appliedSeq, atMs: 0 });
const feedback = (f: FollowerFeedback, atMs: number, sealedThroughSeq: number): FollowerBookEvent => ({ kind: 'feedback', feedback: f, atMs, sealedThroughSeq });
const wake = (atMs: number, sealedThroughSeq: number): FollowerBookEvent => ({ kind: 'wake', atMs, sealedThroughSeq });
const fold = (events: FollowerBookEvent[], book = emptyFollowerBook(25)) => events.reduce(followerBookStep, book);

describe('followerBookStep', () => {
  it('keeps the set: joins add a follower not heard from, leaves drop it; feedback from outside the set is not counted', () => {
    const book = fold([{ kind: 'join', peer: 'a' }, { kind: 'join', peer: 'b' }, { kind: 'leave', peer: 'a' }]);
    expect([...book.followers]).toEqual([['b', { ackedSeq: 0, progressAtMs: null, receivedSeq: 0, durableSeq: 0 }]]);
    const stranger = followerBookStep(book, feedback(fb('a', 9), 5, 9));
    expect(stranger.noted).toBeNull();
    expect(stranger.followers).toBe(book.followers);
  });

  it('counts feedback from a follower in the set: its ack, and when its ack last moved forward', () => {
    let book = fold([{ kind: 'join', peer: 'a' }, feedback(fb('a', 3), 10, 3)]);
    expect(book.noted).toEqual(fb('a', 3));
    expect(book.followers.get('a')).toMatchObject({ ackedSeq: 3, progressAtMs: 10 });
    book = followerBookStep(book, feedback(fb('a', 3), 20, 3)); // no move: the time it last moved stays
    expect(book.followers.get('a')).toMatchObject({ ackedSeq: 3, progressAtMs: 10 });
    book = followerBookStep(book, feedback(fb('a', 1, 'resend'), 30, 3)); // a resend request moves it back, not forward
    expect(book.followers.get('a')).toMatchObject({ ackedSeq: 1, progressAtMs: 10 });
    book = followerBookStep(book, { kind: 'wake', atMs: 31, sealedThroughSeq: 3 });
    expect(book.noted).toBeNull();
  });

  it('keeps each follower\'s three marks; followersAt counts at one level (durable lags applied: durable counts fewer)', () => {
    const marks = (peer: string, receivedSeq: number, durableSeq: number | undefined, appliedSeq: number): FollowerFeedback =>
      ({ peer, kind: 'ack', appliedSeq, ...(durableSeq === undefined ? {} : { durableSeq }), receivedSeq, atMs: 0 });
    const book = fold([
      { kind: 'join', peer: 'a' }, { kind: 'join', peer: 'b' }, { kind: 'join', peer: 'c' },
      feedback(marks('a', 9, 9, 9), 1, 9), feedback(marks('b', 9, 7, 7), 2, 9), feedback(marks('c', 9, undefined, 8), 3, 9),
    ]);
    expect(book.followers.get('b')).toMatchObject({ receivedSeq: 9, durableSeq: 7, ackedSeq: 7 });
    expect(book.followers.get('c')).toMatchObject({ receivedSeq: 9, durableSeq: 8, ackedSeq: 8 }); // no durableSeq (an older follower): its apply was durable
    expect(followersAt(book, 9, 'received')).toEqual(['a', 'b', 'c']);
    expect(followersAt(book, 8, 'durable')).toEqual(['a', 'c']);
    expect(followersAt(book, 9, 'applied')).toEqual(['a']);
    // Marks are kept ordered even if a follower reports them out of order: durable >= applied, received >= durable.
    const odd = followerBookStep(book, feedback(marks('a', 3, 4, 5), 4, 9));
    expect(odd.followers.get('a')).toMatchObject({ receivedSeq: 5, durableSeq: 5, ackedSeq: 5 });
  });

  it('the replication slot is the lowest ack in the set (0 for one not heard from; Infinity for nobody); followersBehind names who lags', () => {
    expect(retentionFloor(emptyFollowerBook(25))).toBe(Infinity);
    const book = fold([{ kind: 'join', peer: 'a' }, { kind: 'join', peer: 'b' }, feedback(fb('a', 7), 1, 7)]);
    expect(retentionFloor(book)).toBe(0);
    expect(followersBehind(book, 7)).toEqual(['b']);
    const both = followerBookStep(book, feedback(fb('b', 5), 2, 7));
    expect(retentionFloor(both)).toBe(5);
    expect(followersBehind(both, 7)).toEqual(['b']);
    expect(followersBehind(both, 5)).toEqual([]);
  });

  it('gates sealing on the followers: a wake seals when one can take a segment, is owed while all are busy, paid at the next ready ack', () => {
    let book = fold([{ kind: 'join', peer: 'a' }, feedback(fb('a', 10), 0, 10)]);
    book = followerBookStep(book, wake(1, 10));
    expect(book.gate).toEqual({ owed: false, seal: true }); // a acked all sealed
    expect(book.lastSealAtMs).toBe(1);
    book = followerBookStep(book, wake(2, 20)); // 11..20 sealed at 1, not acked: busy
    expect(book.gate).toEqual({ owed: true, seal: false });
    book = followerBookStep(book, feedback(fb('a', 15), 3, 20)); // still behind what is sealed
    expect(book.gate).toEqual({ owed: true, seal: false });
    book = followerBookStep(book, feedback(fb('a', 20), 4, 20));
    expect(book.gate).toEqual({ owed: false, seal: true });
    expect(book.lastSealAtMs).toBe(4);
  });

  it('with nobody in the set every wake seals', () => {
    expect(followerBookStep(emptyFollowerBook(25), wake(0, 0)).gate.seal).toBe(true);
  });

  const eventArb: fc.Arbitrary<FollowerBookEvent> = fc.oneof(
    fc.record({ kind: fc.constant('join' as const), peer: fc.constantFrom('a', 'b', 'c') }),
    fc.record({ kind: fc.constant('leave' as const), peer: fc.constantFrom('a', 'b', 'c') }),
    fc.record({
      kind: fc.constant('feedback' as const),
      feedback: fc.record({
        peer: fc.constantFrom('a', 'b', 'c', 'stranger'), kind: fc.constantFrom('ack' as const, 'resend' as const),
        appliedSeq: fc.nat(50), receivedSeq: fc.nat(50), atMs: fc.constant(0),
      }),
      atMs: fc.nat(1_000), sealedThroughSeq: fc.nat(50),
    }),
    fc.record({ kind: fc.constant('wake' as const), atMs: fc.nat(1_000), sealedThroughSeq: fc.nat(50) }),
  );

  it('property: pure; the set is exactly who joined and has not left; only their feedback is noted; at most one seal per wake or ack', () => {
    fc.assert(fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
      let book: FollowerBook = emptyFollowerBook(25);
      const members = new Set<string>();
      for (const event of events) {
        const before = JSON.stringify([[...book.followers], book.gate, book.lastSealAtMs, book.noted]);
        const next = followerBookStep(book, event);
        expect(JSON.stringify([[...book.followers], book.gate, book.lastSealAtMs, book.noted])).toBe(before);
        if (event.kind === 'join') members.add(event.peer);
        if (event.kind === 'leave') members.delete(event.peer);
        expect(new Set(next.followers.keys())).toEqual(members);
        const counted = event.kind === 'feedback' && members.has(event.feedback.peer);
        expect(next.noted).toBe(counted ? event.feedback : null);
        if (counted) expect(next.followers.get(event.feedback.peer)!.ackedSeq).toBe(event.feedback.appliedSeq);
        if (next.gate.seal) expect(event.kind === 'wake' || counted).toBe(true);
        if (next.gate.seal) expect(next.lastSealAtMs).toBe((event as { atMs: number }).atMs);
        expect(retentionFloor(next)).toBe(Math.min(Infinity, ...[...next.followers.values()].map((p) => p.ackedSeq)));
        book = next;
      }
    }), { numRuns: 300 });
  });
});
