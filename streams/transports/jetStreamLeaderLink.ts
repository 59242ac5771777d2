/**
 * The JetStream leader's session setup, at the I/O edge: on a fresh NATS
 * connection, check the server (max_payload, JetStream), create or correct
 * the shard's stream, read where it ends, and refuse at once to publish
 * after a newer epoch's shipment (a deposed leader restarting).
 *
 *   connection ─▶ max_payload ≥ MIN_MAX_PAYLOAD_BYTES ─▶ JetStream ─▶ ensureStream ─▶ readLogPosition ─▶ fence check ─▶ LeaderLink
 */
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { TidalError } from '../../src/index.js';
import { epochOf } from './handshake.js';
import { HEADER_RESERVE_BYTES, MIN_MAX_PAYLOAD_BYTES } from './jetStreamDefaults.js';
import type { ResolvedJetStreamLeader } from './jetStreamOptions.js';
import { FencedPublisher, fenceVerdict } from './jetStreamPublisher.js';
import { ensureStream, type LogPosition, readLogPosition } from './jetStreamStream.js';

/** One session's connection, ready to publish. */
export interface LeaderLink {
  readonly nc: NatsConnection;
  readonly publisher: FencedPublisher;
  /** Data bytes a message may carry here: the server's max_payload less HEADER_RESERVE_BYTES. */
  readonly partBytes: number;
  /** Where the stream ended when the session began. */
  readonly position: LogPosition;
}

/**
 * Sets a session up on `nc` (see the file comment). Rejects with
 * ConfigMismatch (max_payload too small, no JetStream, a stream that is not
 * ours to use), Fenced (the stream's last shipment is of a newer epoch), or
 * what the server said.
 */
export async function openLeaderLink(nc: NatsConnection, options: ResolvedJetStreamLeader): Promise<LeaderLink> {
  const { names, limits, requestTimeoutMs: timeout, db } = options;
  const maxPayload = nc.info?.max_payload ?? 0;
  if (maxPayload < MIN_MAX_PAYLOAD_BYTES) {
    throw new TidalError('ConfigMismatch', `NATS max_payload is ${maxPayload} bytes; the JetStream transport needs at least ${MIN_MAX_PAYLOAD_BYTES}`);
  }
  const jsm = await jetStreamManagerOf(nc, options.servers, timeout);
  await ensureStream(jsm, names, limits);
  const position = await readLogPosition(jsm, names);
  const verdict = fenceVerdict(epochOf(db), position.lastEpoch, names.stream);
  // The same epoch at the end of the stream is this leader's own earlier session (or process), not a rival.
  if (verdict !== 'adopt' && position.lastEpoch !== epochOf(db)) throw verdict;
  const publisher = new FencedPublisher(jetstream(nc, { timeout }), jsm, names, position, () => epochOf(db), timeout);
  return { nc, publisher, partBytes: maxPayload - HEADER_RESERVE_BYTES, position };
}

/** The JetStream manager of `nc`; ConfigMismatch when the server has no JetStream. */
export async function jetStreamManagerOf(nc: NatsConnection, servers: readonly string[], timeout: number): Promise<JetStreamManager> {
  return jetstreamManager(nc, { timeout }).catch((err: unknown) => {
    throw new TidalError('ConfigMismatch', `NATS at ${servers.join(', ')} has no JetStream (start nats-server with -js): ${(err as Error).message}`, { cause: err });
  });
}
