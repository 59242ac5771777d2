/**
 * FencedPublisher: one leader session's publishing into the stream, fenced.
 *
 * Every publish carries `Nats-Expected-Last-Sequence`: the stream's last
 * sequence as this leader last saw it. A publish by anyone else in between
 * makes the server refuse ours ("wrong last sequence"); the publisher then
 * reads the stream's last message and decides by its epoch:
 *
 *   newer epoch than ours    ─▶ Fenced: we are a deposed leader; nothing more is published
 *   same epoch               ─▶ Fenced: a second leader of our epoch publishes (two copies of one leader)
 *   older epoch, or not ours ─▶ adopt its sequence and publish again (a deposed leader's late message
 *                               does not stop the new one; it is fenced on its own next publish)
 *
 * A publish retried after a lost ack carries the same message id, and the
 * server answers it as a duplicate before it checks the expectation, so a
 * retry never duplicates and never fences.
 */
import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { TidalError } from '../../src/index.js';
import type { ShipmentMessage } from './jetStreamHeaders.js';
import { type LogPosition, readLogPosition } from './jetStreamStream.js';
import type { JetStreamNames } from './jetStreamSubjects.js';

/** The JetStream API's code for a publish whose expected last sequence did not hold. */
export const WRONG_LAST_SEQUENCE = 10071;

/**
 * 3 times: a refused publish is retried after adopting the stream's end only
 * while the writer in between is older (or not tidaldb); more than three in a
 * row means a writer we cannot out-wait, and the session starts over.
 */
export const MAX_ADOPTS_PER_PUBLISH = 3;

/** What decides a fencing question: our epoch and the last stored message's (null: none, or not a tidaldb shipment). */
export function fenceVerdict(ownEpoch: number, lastEpoch: number | null, stream: string): 'adopt' | TidalError {
  if (lastEpoch === null || lastEpoch < ownEpoch) return 'adopt';
  if (lastEpoch > ownEpoch) {
    return new TidalError('Fenced', `stream ${stream} holds a shipment of epoch ${lastEpoch}, after this leader's epoch ${ownEpoch}: a newer leader was promoted, this one is deposed`);
  }
  return new TidalError('Fenced', `another leader of epoch ${ownEpoch} publishes to stream ${stream}: two leaders for one shard (a copied data directory?); this one stops publishing`);
}

export class FencedPublisher {
  private lastStreamSeq: number;

  /**
   * @param position where the stream ended when the session began
   * @param epoch this leader's epoch now
   * @param timeoutMs a publish ack that takes longer fails the publish
   */
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: JetStreamNames,
    position: LogPosition,
    private readonly epoch: () => number,
    private readonly timeoutMs: number,
  ) {
    this.lastStreamSeq = position.lastStreamSeq;
  }

  /** The stream's last sequence as this publisher knows it. */
  get streamSeq(): number {
    return this.lastStreamSeq;
  }

  /**
   * Publishes one message after the last one this session saw; resolves with
   * the server's ack. Rejects with `Fenced` (see the file comment), or with
   * what the client threw (a timeout, a lost connection): the caller starts
   * a new session and publishes the same message again.
   */
  async publish(m: ShipmentMessage): Promise<PubAck> {
    const h = natsHeaders();
    for (const [name, value] of m.headers) h.set(name, value);
    for (let adopts = 0; ; adopts++) {
      try {
        const ack = await this.js.publish(this.names.shipments, m.data, {
          msgID: m.msgId, headers: h, expect: { lastSequence: this.lastStreamSeq }, timeout: this.timeoutMs,
        });
        this.lastStreamSeq = Math.max(this.lastStreamSeq, ack.seq);
        return ack;
      } catch (err) {
        if ((err as { code?: unknown }).code !== WRONG_LAST_SEQUENCE || adopts >= MAX_ADOPTS_PER_PUBLISH) throw err;
        const position = await readLogPosition(this.jsm, this.names);
        const verdict = fenceVerdict(this.epoch(), position.lastEpoch, this.names.stream);
        if (verdict !== 'adopt') throw verdict;
        this.lastStreamSeq = position.lastStreamSeq;
      }
    }
  }
}
