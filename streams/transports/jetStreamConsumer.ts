/**
 * A follower's durable pull consumer on the shard's stream: created on the
 * follower's first connection, found again on every later one, so a
 * follower restarted from its directory resumes where its acks left off.
 *
 * Acks are explicit and sent only once a shipment is applied (durably, with
 * a directory), so the consumer's ack floor never passes what the follower
 * holds; after a restart the consumer redelivers everything after it, and
 * what the follower already has is skipped. A consumer that has moved on
 * while its follower holds nothing (a new follower under an old name, or one
 * whose directory was wiped) is deleted and made again, reading the stream
 * from its start. Any other mismatch heals through the protocol: the
 * follower sees a gap, asks for a re-send, and the leader re-sends it.
 */
import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JetStreamManager, ReplayPolicy } from '@nats-io/jetstream';
import type { PeerId } from '../transport.js';
import type { JetStreamNames } from './jetStreamSubjects.js';

/** How the consumer delivers, from the follower's options. */
export interface ConsumerSettings {
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
}

/** What `ensureConsumer` did. */
export type ConsumerOutcome = 'created' | 'resumed' | 'recreated';

const NANOS_PER_MS = 1_000_000;

/** The JetStream API's code for a consumer that does not exist (10059 is the stream missing: that is not ours to fix). */
const CONSUMER_NOT_FOUND = 10014;

export function consumerConfig(names: JetStreamNames, peer: PeerId, settings: ConsumerSettings): Partial<ConsumerConfig> {
  return {
    durable_name: names.consumer(peer),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: names.shipments,
    ack_wait: settings.ackWaitMs * NANOS_PER_MS,
    max_ack_pending: settings.maxAckPending,
    max_deliver: -1,
  };
}

/**
 * Makes sure `peer`'s consumer exists with `settings`, made again when it
 * has moved on while the follower (at `appliedSeq`) holds nothing, or reads
 * another subject or acks another way.
 */
export async function ensureConsumer(
  jsm: JetStreamManager, names: JetStreamNames, peer: PeerId, settings: ConsumerSettings, appliedSeq: number,
): Promise<ConsumerOutcome> {
  const name = names.consumer(peer);
  const wanted = consumerConfig(names, peer, settings);
  const info = await jsm.consumers.info(names.stream, name).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === CONSUMER_NOT_FOUND) return null;
    throw err;
  });
  if (info === null) {
    await jsm.consumers.add(names.stream, wanted);
    return 'created';
  }
  const c = info.config;
  const movedOn = info.ack_floor.stream_seq > 0 || info.delivered.stream_seq > 0;
  if ((appliedSeq === 0 && movedOn) || c.filter_subject !== names.shipments || c.ack_policy !== AckPolicy.Explicit) {
    await jsm.consumers.delete(names.stream, name);
    await jsm.consumers.add(names.stream, wanted);
    return 'recreated';
  }
  if (c.ack_wait !== wanted.ack_wait || c.max_ack_pending !== wanted.max_ack_pending) {
    await jsm.consumers.update(names.stream, name, { ack_wait: wanted.ack_wait!, max_ack_pending: wanted.max_ack_pending! });
  }
  return 'resumed';
}
