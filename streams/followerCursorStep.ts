/**
 * A follower's cursor on the leader, as a pure reducer: the seqno after
 * which to ship next, what the follower acked, and when it last made
 * progress. shipSegments folds each follower's feedback, each wake and each
 * shipment its transport accepted into it with one `scan`, and reads from it
 * what to do: `drain` says whether to start shipping, and whether a send in
 * flight is for a position the follower no longer wants (a rewind: cancel it
 * and ship from `seq`).
 *
 *   feedback ──┐                                     drain 'restart' ─▶ cancel the send in flight, ship from seq
 *   wake     ──┼─▶ followerCursorStep ─▶ cursor ──▶  drain 'resume'  ─▶ ship from seq unless already shipping
 *   shipped  ──┘          (pure)                     drain 'none'    ─▶ (the running drain goes on)
 */
import type { FollowerFeedback } from './transport.js';

/** Where one follower stands, as the leader sees it. */
export interface FollowerCursor {
  /** Ship the segment after this seqno next; null until the follower's first feedback says where it is. */
  readonly seq: number | null;
  /** The highest seqno the follower acked applied. */
  readonly ackedSeq: number;
  /** When the follower last made progress (its ack moved, a rewind, a shipment it can use), ms. */
  readonly lastProgressMs: number;
  /** Acks short of what was shipped, with no progress for this long, mean a loss in transit: rewind, ms. */
  readonly retransmitAfterMs: number;
  /** What this event asks of shipping. */
  readonly drain: 'restart' | 'resume' | 'none';
}

/** What moves a cursor. */
export type FollowerCursorEvent =
  | { readonly kind: 'feedback'; readonly feedback: FollowerFeedback; readonly atMs: number }
  /** A new segment may be there (a seal). */
  | { readonly kind: 'wake' }
  /** The transport accepted a shipment covering `firstSeq..lastSeq` (a checkpoint covers 1..its seqno). */
  | { readonly kind: 'shipped'; readonly firstSeq: number; readonly lastSeq: number; readonly checkpoint: boolean; readonly atMs: number };

/** The cursor of a follower not heard from yet: nothing ships until it says where it is. */
export function emptyFollowerCursor(retransmitAfterMs: number): FollowerCursor {
  return { seq: null, ackedSeq: 0, lastProgressMs: 0, retransmitAfterMs, drain: 'none' };
}

/**
 * The cursor after `event`:
 * - the first feedback, or a resend request, moves it to the follower's mark
 *   (restart);
 * - an ack past it moves it forward; an ack short of it, with no progress
 *   for retransmitAfterMs, means what was shipped was lost: back to the mark
 *   (restart); any other feedback resumes shipping;
 * - a wake resumes shipping;
 * - an accepted shipment moves it to the shipment's last seqno (a send for an
 *   old position never gets here: a restart cancelled it).
 */
export function followerCursorStep(cursor: FollowerCursor, event: FollowerCursorEvent): FollowerCursor {
  if (event.kind === 'wake') return { ...cursor, drain: 'resume' };
  if (event.kind === 'shipped') {
    // Progress only when the follower can use it: it continues from what it acked (or is a checkpoint).
    const usable = cursor.ackedSeq >= event.firstSeq - 1 || event.checkpoint;
    return {
      ...cursor, drain: 'none', seq: Math.max(cursor.seq ?? 0, event.lastSeq),
      lastProgressMs: usable ? Math.max(cursor.lastProgressMs, event.atMs) : cursor.lastProgressMs,
    };
  }
  const { feedback: f, atMs } = event;
  const ackedSeq = Math.max(cursor.ackedSeq, f.appliedSeq);
  const lastProgressMs = f.appliedSeq > cursor.ackedSeq ? atMs : cursor.lastProgressMs;
  const rewindTo = (seq: number): FollowerCursor => ({ ...cursor, ackedSeq, seq, lastProgressMs: atMs, drain: 'restart' });
  if (cursor.seq === null || f.kind === 'resend') return rewindTo(f.appliedSeq);
  if (f.appliedSeq > cursor.seq) return { ...cursor, ackedSeq, lastProgressMs, seq: f.appliedSeq, drain: 'resume' };
  if (f.appliedSeq < cursor.seq && atMs - lastProgressMs >= cursor.retransmitAfterMs) return rewindTo(f.appliedSeq); // shipped, never applied: lost
  return { ...cursor, ackedSeq, lastProgressMs, drain: 'resume' };
}
