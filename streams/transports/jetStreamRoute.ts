/**
 * Where the leader's `send$(peer, shipment)` puts a shipment on the stream:
 * a pure reducer over what the leader end has published (RxDB-style: state
 * in, state out, no I/O), so the rule is tested on its own.
 *
 * The stream holds one *shared log*: each sealed segment once, for every
 * follower, in seqno order. The shipper still calls `send$` once per
 * follower; the first call for a segment publishes it, the others find it
 * in the log and complete at once, and each follower reads it through its
 * own durable consumer. A shipment only one follower needs is published
 * for that follower alone (`Tidal-For`):
 *
 *   segment past the log's end                ─▶ 'log'    publish; the log ends at its lastSeq
 *   segment in the log, first time for peer   ─▶ 'in-log' nothing to publish: peer's consumer reads it
 *   segment peer was already sent (a re-send) ─▶ 'peer'   publish for peer only
 *   checkpoint (bootstrap)                    ─▶ 'peer'
 *
 * A re-send is how the shipper answers a follower that could not apply what
 * came (a corrupt copy, a gap: its 'resend' feedback) or whose acks stopped
 * short (retransmitAfterMs): that follower's consumer is already past the
 * copy in the log, so the log cannot serve it again. A 'resend' request
 * counts everything in the log as sent to that follower, so the rewound
 * shipper re-sends from its mark rather than assume its consumer will read it.
 *
 *   log      :  1..50  51..90            91..130
 *   send$    :  f1:1..50  f2:1..50  f1:51..90  f2:51..90  f1:51..90(again)  f1:91..130
 *   route    :  log       in-log    log        in-log     peer              log
 *
 * `publishedThrough` is null while unknown (a new stream, a new epoch): the
 * log then starts at the first segment asked for. A segment that starts past
 * the log's end + 1 still goes to the log (the log has a hole; a follower
 * that needs what is missing sees a gap, asks again, and is re-sent it).
 */
import { isCheckpoint, type Shipment, shipmentLastSeq } from '../shipment.js';
import type { PeerId } from '../transport.js';
import type { LogPosition } from './jetStreamStream.js';

/** What the leader end has put on the stream, as far as routing needs it. */
export interface LogState {
  /** The last seqno of the shared log in this epoch; null while unknown. */
  readonly publishedThrough: number | null;
  /** Per follower: the highest seqno handed to it through the log or a re-send (at most maxPeers entries). */
  readonly sentThrough: ReadonlyMap<PeerId, number>;
}

/** What to do with one `send$`. */
export type Route =
  /** Already in the shared log: the follower's consumer reads it there. */
  | { readonly kind: 'in-log' }
  /** Publish to the shared log; its message id names `firstNewSeq`, the first seqno it adds to the log. */
  | { readonly kind: 'log'; readonly firstNewSeq: number }
  /** Publish for this follower only. */
  | { readonly kind: 'peer' };

/**
 * 1024 followers: far more than a shard has; past it a follower never
 * handed anything is not tracked, and a re-send to it waits for the
 * shipper's retransmit (retransmitAfterMs) instead of its resend request.
 */
export const MAX_TRACKED_PEERS = 1024;

/** The state of a leader end that has published nothing yet in this epoch; `publishedThrough` from the stream's last message if it is of this epoch. */
export function initialLogState(publishedThrough: number | null): LogState {
  return { publishedThrough, sentThrough: new Map() };
}

/**
 * The route of `s` for `peer` (see the file comment).
 *
 * @example
 * routeShipment({ publishedThrough: 50, sentThrough: new Map() }, 'f2', segment1to50); // { kind: 'in-log' }
 * routeShipment({ publishedThrough: 50, sentThrough: new Map([['f2', 50]]) }, 'f2', segment1to50); // { kind: 'peer' }
 */
export function routeShipment(state: LogState, peer: PeerId, s: Shipment): Route {
  if (isCheckpoint(s)) return { kind: 'peer' };
  const sent = state.sentThrough.get(peer);
  if (sent !== undefined && s.firstSeq <= sent) return { kind: 'peer' };
  const logEnd = state.publishedThrough;
  if (logEnd !== null && s.lastSeq <= logEnd) return { kind: 'in-log' };
  return { kind: 'log', firstNewSeq: logEnd === null ? s.firstSeq : Math.max(s.firstSeq, logEnd + 1) };
}

/** The state once `s` went its `route` for `peer` (published, or found in the log). */
export function afterRouted(state: LogState, peer: PeerId, s: Shipment, route: Route, maxPeers = MAX_TRACKED_PEERS): LogState {
  const lastSeq = shipmentLastSeq(s);
  const publishedThrough = route.kind === 'log' ? Math.max(state.publishedThrough ?? 0, lastSeq) : state.publishedThrough;
  return { publishedThrough, sentThrough: withSent(state.sentThrough, peer, lastSeq, maxPeers) };
}

/** The state once `peer` asked for a re-send: everything in the log counts as sent to it. */
export function afterResendRequest(state: LogState, peer: PeerId, maxPeers = MAX_TRACKED_PEERS): LogState {
  if (state.publishedThrough === null) return state;
  return { ...state, sentThrough: withSent(state.sentThrough, peer, state.publishedThrough, maxPeers) };
}

function withSent(sentThrough: ReadonlyMap<PeerId, number>, peer: PeerId, seq: number, maxPeers: number): ReadonlyMap<PeerId, number> {
  const before = sentThrough.get(peer);
  if (before !== undefined && before >= seq) return sentThrough;
  if (before === undefined && sentThrough.size >= maxPeers) return sentThrough;
  return new Map(sentThrough).set(peer, seq);
}

/**
 * The log's end for a new session: what the stream's last message says when
 * it is of this epoch; unknown for an empty stream; else what this end knew
 * (a message of another epoch, or not tidaldb's, says nothing about our log).
 */
export function reconciledLogEnd(known: number | null, end: LogPosition, epoch: number): number | null {
  if (end.lastEpoch === epoch) return end.publishedThrough;
  if (end.lastStreamSeq === 0) return null;
  return known;
}
