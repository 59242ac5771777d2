/**
 * What a follower tells its leader, as a pure reducer: after each shipment
 * it applied or refused, and at each heartbeat, whether to ack or to ask for
 * a re-send, at most one re-send request per mark per heartbeat interval.
 * The SegmentReceiver folds every outcome and heartbeat into it with one
 * `scan` and sends what `send` says. Every message carries the three
 * cumulative marks, received >= durable >= applied; a shipment that passed
 * validation sends an ack at once when it moved the received mark (before
 * it is applied), so a leader waiting at level 'received' hears of it then,
 * not at the next heartbeat. Durable is the applied mark: an apply on a
 * follower with a dir is stored with fsync before it counts as applied.
 *
 *   applied / skipped ─┐                                         send 'ack'    ─▶ transport.sendFeedback
 *   rejected          ─┼─▶ receiverFeedbackStep ─▶ state ─▶     send 'resend' ─▶ transport.sendFeedback
 *   heartbeat         ─┘          (pure)                         send null     ─▶ (rate-limited: nothing)
 *
 *   rejected  :  -x--x-------x---      (the same mark each time)
 *   heartbeat :  ------h------h--
 *   send      :  -R----------R---      (resend interval 8 frames: one request per mark per interval, the rest dropped)
 */

/** What the receiver knows and has decided. */
export interface ReceiverFeedback {
  /** The highest seqno received and validated (a corrupt shipment's claims are not believed). */
  readonly receivedSeq: number;
  /** The applied mark at which a gap or a refused shipment was seen; null when none stands. */
  readonly resendNeededAt: number | null;
  /** The last re-send request: at which mark and when; null before the first. */
  readonly lastResend: { readonly appliedSeq: number; readonly atMs: number } | null;
  /** The least time between two re-send requests at one mark, ms (the heartbeat interval). */
  readonly resendIntervalMs: number;
  /** What this event sends the leader: its kind and marks; null: nothing. */
  readonly send: {
    readonly kind: 'ack' | 'resend'; readonly appliedSeq: number; readonly durableSeq: number; readonly receivedSeq: number; readonly atMs: number;
  } | null;
}

/** An outcome or a heartbeat, with the follower's applied mark and the time then. */
export type ReceiverEvent =
  /** A shipment passed validation and is about to be applied: its last seqno is received. */
  | { readonly kind: 'received'; readonly receivedSeq: number; readonly appliedSeq: number; readonly atMs: number }
  /** A shipment applied (`progressed`: new events, or a checkpoint installed) or already held. */
  | { readonly kind: 'applied'; readonly progressed: boolean; readonly receivedSeq: number; readonly appliedSeq: number; readonly atMs: number }
  /** A shipment not applied: corrupt (receivedSeq 0: not believed), a gap, a failed apply or install. */
  | { readonly kind: 'rejected'; readonly receivedSeq: number; readonly appliedSeq: number; readonly atMs: number }
  /** The heartbeat: repeat the ack, or the re-send request while the gap stands. */
  | { readonly kind: 'heartbeat'; readonly appliedSeq: number; readonly atMs: number };

/** Before anything was received. */
export function emptyReceiverFeedback(resendIntervalMs: number): ReceiverFeedback {
  return { receivedSeq: 0, resendNeededAt: null, lastResend: null, resendIntervalMs, send: null };
}

/**
 * The receiver after `event`:
 * - received: an ack when the received mark moved, else nothing;
 * - applied: an ack (and a shipment that progressed clears a standing gap);
 * - rejected: a gap stands at the applied mark; ask for a re-send;
 * - heartbeat: ask again while the gap stands at the mark, otherwise an ack.
 * A re-send request at the mark of the last one, within resendIntervalMs of
 * it, is not sent.
 */
export function receiverFeedbackStep(state: ReceiverFeedback, event: ReceiverEvent): ReceiverFeedback {
  const receivedSeq = event.kind === 'heartbeat' ? state.receivedSeq : Math.max(state.receivedSeq, event.receivedSeq);
  const next = { ...state, receivedSeq };
  if (event.kind === 'received') return { ...next, send: receivedSeq > state.receivedSeq ? message('ack', next, event) : null };
  if (event.kind === 'applied') {
    return { ...next, resendNeededAt: event.progressed ? null : state.resendNeededAt, send: message('ack', next, event) };
  }
  if (event.kind === 'rejected') return resendRequest({ ...next, resendNeededAt: event.appliedSeq }, event);
  if (state.resendNeededAt !== null && state.resendNeededAt === event.appliedSeq) return resendRequest(next, event);
  return { ...next, send: message('ack', next, event) };
}

/** A re-send request after the applied mark, unless one for that mark went out less than resendIntervalMs ago. */
function resendRequest(state: ReceiverFeedback, event: ReceiverEvent): ReceiverFeedback {
  const last = state.lastResend;
  if (last !== null && last.appliedSeq === event.appliedSeq && event.atMs - last.atMs < state.resendIntervalMs) return { ...state, send: null };
  return { ...state, lastResend: { appliedSeq: event.appliedSeq, atMs: event.atMs }, send: message('resend', state, event) };
}

function message(kind: 'ack' | 'resend', state: ReceiverFeedback, event: ReceiverEvent): ReceiverFeedback['send'] {
  return { kind, appliedSeq: event.appliedSeq, durableSeq: event.appliedSeq, receivedSeq: Math.max(state.receivedSeq, event.appliedSeq), atMs: event.atMs };
}
