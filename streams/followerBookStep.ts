/**
 * The leader's book of its followers, as a pure reducer: who is in the set,
 * what each acked and when its ack last moved, and the seal gate that paces
 * sealing by them (sealGateStep, fed what followerCanTakeSegment says).
 * The WalShipper folds every join, leave, feedback and wake into it with one
 * `scan`; everything it decides (a seal, an ack counted, the replication
 * slot, who is behind for awaitInSync, who gets status) is read from the book.
 *
 *   join/leave (followerSessions) ─┐
 *   feedback (transport)        ───┼─▶ followerBookStep ─▶ FollowerBook ─┬─ gate.seal ─▶ sealedSegments
 *   wake (tick, commit)         ───┘                                     ├─ noted ─▶ applied$, retainFrom(retentionFloor)
 *                                                                        └─ followers ─▶ status, awaitInSync, waitForFollowers (followersAt)
 *
 * A follower's entry goes when it leaves the set, so a set that churns
 * through peer ids keeps no more entries than it has members.
 */
import { type FollowerPosition, followerCanTakeSegment, type SealGateState, sealGateStep } from './gateSeals.js';
import type { FollowerFeedback, PeerId } from './transport.js';

/** The three cumulative marks a follower reports; waitForFollowers counts at one of them. */
export type AckLevel = 'received' | 'durable' | 'applied';

/** Where a follower stands: its ack (the applied mark, which paces the gate) and its three marks, received >= durable >= applied. */
export interface FollowerStanding extends FollowerPosition {
  readonly receivedSeq: number;
  readonly durableSeq: number;
}

export interface FollowerBook {
  /** The followers in the set now, with where each stands. */
  readonly followers: ReadonlyMap<PeerId, FollowerStanding>;
  /** When the gate last let a seal through, ms; null before the first. */
  readonly lastSealAtMs: number | null;
  /** The seal gate: a seal owed, and whether this event seals. */
  readonly gate: SealGateState;
  /** The feedback this event counted (from a follower in the set); null for any other event. */
  readonly noted: FollowerFeedback | null;
  /** A follower whose ack has not moved for this long, nor a seal gone through, no longer paces sealing, ms. */
  readonly stalledAfterMs: number;
}

/** What changes the book. Feedback and wakes carry the moment and how far the leader has sealed then. */
export type FollowerBookEvent =
  | { readonly kind: 'join'; readonly peer: PeerId }
  | { readonly kind: 'leave'; readonly peer: PeerId }
  | { readonly kind: 'feedback'; readonly feedback: FollowerFeedback; readonly atMs: number; readonly sealedThroughSeq: number }
  /** A tick, or a commit in ship-on-commit mode: seal now if a follower can take a segment. */
  | { readonly kind: 'wake'; readonly atMs: number; readonly sealedThroughSeq: number };

/** The book with nobody in the set. */
export function emptyFollowerBook(stalledAfterMs: number): FollowerBook {
  return { followers: new Map(), lastSealAtMs: null, gate: { owed: false, seal: false }, noted: null, stalledAfterMs };
}

const NOT_HEARD_FROM: FollowerStanding = { ackedSeq: 0, progressAtMs: null, receivedSeq: 0, durableSeq: 0 };

/**
 * The book after `event`. Feedback from a follower in the set moves its ack
 * (and its progress time when the ack moved forward, or on its first word)
 * and rechecks the gate; a wake asks the gate for a seal. Feedback from a
 * peer outside the set changes nothing.
 */
export function followerBookStep(book: FollowerBook, event: FollowerBookEvent): FollowerBook {
  const quiet = { ...book, gate: { owed: book.gate.owed, seal: false }, noted: null };
  if (event.kind === 'join') {
    return book.followers.has(event.peer) ? quiet : { ...quiet, followers: new Map(book.followers).set(event.peer, NOT_HEARD_FROM) };
  }
  if (event.kind === 'leave') {
    if (!book.followers.has(event.peer)) return quiet;
    const followers = new Map(book.followers);
    followers.delete(event.peer);
    return { ...quiet, followers };
  }
  if (event.kind === 'wake') return gated(quiet, 'wake', event.atMs, event.sealedThroughSeq);
  const { feedback: f, atMs } = event;
  const before = book.followers.get(f.peer);
  if (!before) return quiet;
  const moved = before.progressAtMs === null || f.appliedSeq > before.ackedSeq;
  // A follower without durableSeq (an older one) made its apply durable: durable is at least applied, received at least durable.
  const durableSeq = Math.max(f.durableSeq ?? f.appliedSeq, f.appliedSeq);
  const followers = new Map(book.followers).set(f.peer, {
    ackedSeq: f.appliedSeq, progressAtMs: moved ? atMs : before.progressAtMs, durableSeq, receivedSeq: Math.max(f.receivedSeq, durableSeq),
  });
  return gated({ ...quiet, followers, noted: f }, 'recheck', atMs, event.sealedThroughSeq);
}

/** The book after the gate weighed a wake or a recheck at `atMs`. */
function gated(book: FollowerBook, kind: 'wake' | 'recheck', atMs: number, sealedThroughSeq: number): FollowerBook {
  const ready = followerCanTakeSegment([...book.followers.values()], {
    sealedThroughSeq, nowMs: atMs, lastSealAtMs: book.lastSealAtMs, stalledAfterMs: book.stalledAfterMs,
  });
  const gate = sealGateStep(book.gate, { kind, ready });
  return { ...book, gate, lastSealAtMs: gate.seal ? atMs : book.lastSealAtMs };
}

/**
 * The replication slot: the lowest seqno any follower in the set has acked
 * (0 for one not heard from yet); Infinity with no followers.
 */
export function retentionFloor(book: Pick<FollowerBook, 'followers'>): number {
  let floor = Infinity;
  for (const p of book.followers.values()) floor = Math.min(floor, p.ackedSeq);
  return floor;
}

/** The followers in the set that have not acked `seq` yet, in the order they joined. */
export function followersBehind(book: Pick<FollowerBook, 'followers'>, seq: number): PeerId[] {
  return [...book.followers].filter(([, p]) => p.ackedSeq < seq).map(([peer]) => peer);
}

/** A follower's mark at `level`. */
export function markAt(standing: FollowerStanding, level: AckLevel): number {
  return level === 'applied' ? standing.ackedSeq : level === 'durable' ? standing.durableSeq : standing.receivedSeq;
}

/** The followers in the set whose mark at `level` has reached `seq`, in the order they joined. */
export function followersAt(book: Pick<FollowerBook, 'followers'>, seq: number, level: AckLevel): PeerId[] {
  return [...book.followers].filter(([, p]) => markAt(p, level) >= seq).map(([peer]) => peer);
}
