/**
 * The stream messages one routed shipment becomes (pure): on the shared
 * log, with the log's message id (`<shard>:<epoch>:<first new seqno>`) and
 * the log's new end; or for one peer (a re-send or a checkpoint), with that
 * peer's message id and the log's end unchanged. Split into parts of at
 * most `partBytes` (jetStreamHeaders.ts).
 */
import { isCheckpoint, type Shipment, shipmentLastSeq } from '../shipment.js';
import type { PeerId } from '../transport.js';
import { type ShipmentMessage, shipmentMessages } from './jetStreamHeaders.js';
import { logMessageId, peerMessageId } from './jetStreamMessageIds.js';
import type { Route } from './jetStreamRoute.js';

export interface RoutedShipment {
  readonly shardId: number;
  readonly epoch: number;
  /** Where the shared log ends before this shipment (null: unknown, taken as 0). */
  readonly publishedThrough: number | null;
  readonly route: Exclude<Route, { kind: 'in-log' }>;
  readonly shipment: Shipment;
  readonly peer: PeerId;
  /** This leader session's nonce and the send's number in it: a peer message's id (dedup of a retried publish). */
  readonly sessionNonce: string;
  readonly uniq: number;
  readonly partBytes: number;
}

export function routedMessages(r: RoutedShipment): ShipmentMessage[] {
  const before = r.publishedThrough ?? 0;
  if (r.route.kind === 'log') {
    const publishedThrough = { before, after: Math.max(before, shipmentLastSeq(r.shipment)) };
    return shipmentMessages(r.shipment, {
      msgId: logMessageId(r.shardId, r.epoch, r.route.firstNewSeq), epoch: r.epoch, forPeer: null, publishedThrough, partBytes: r.partBytes,
    });
  }
  const msgId = peerMessageId(r.shardId, r.epoch, r.shipment, r.peer, r.sessionNonce, r.uniq);
  return shipmentMessages(r.shipment, { msgId, epoch: r.epoch, forPeer: r.peer, publishedThrough: { before, after: before }, partBytes: r.partBytes });
}

/** A shipment named in an error message. */
export function describeShipment(s: Shipment): string {
  return isCheckpoint(s) ? `checkpoint at seqno ${s.seq}` : `segment ${s.segmentId} (seqnos ${s.firstSeq}..${s.lastSeq})`;
}
