/**
 * The message ids the JetStream leader publishes under, as pure functions.
 * The server drops a message whose id it saw within the stream's duplicate
 * window, so an id must name what it carries and never be reused for
 * anything else:
 *
 *   shared log      <shard>:<epoch>:<firstNewSeq>                     the first seqno it adds to the log: unique in an epoch,
 *                                                                     and the same when a publish whose ack was lost is retried
 *   one follower    <shard>:<epoch>:<firstSeq>:<peer>:<nonce>.<n>     a re-send; <nonce> is the leader end's, <n> counts its sends
 *                   <shard>:<epoch>:checkpoint-<seq>:<peer>:<nonce>.<n>
 *   parts           <id>/<index>                                      (jetStreamHeaders.ts)
 */
import { isCheckpoint, type Shipment } from '../shipment.js';
import type { PeerId } from '../transport.js';
import { peerToken } from './jetStreamSubjects.js';

/** The id of a shared-log message adding seqnos from `firstNewSeq`. */
export function logMessageId(shardId: number, epoch: number, firstNewSeq: number): string {
  return `${shardId}:${epoch}:${firstNewSeq}`;
}

/** The id of a shipment for `peer` alone: unique per leader end (`nonce`) and send (`n`). */
export function peerMessageId(shardId: number, epoch: number, s: Shipment, peer: PeerId, nonce: string, n: number): string {
  const what = isCheckpoint(s) ? `checkpoint-${s.seq}` : String(s.firstSeq);
  return `${shardId}:${epoch}:${what}:${peerToken(peer)}:${nonce}.${n}`;
}
