/**
 * The JetStream transport's core-NATS messages, msgpack maps: feedback
 * (follower → leader) and status (leader → follower). Pure: values in, bytes
 * out and back; every field of a received message is checked by name before
 * anything else sees it. The peer is the subject's, never the body's.
 *
 *   tidaldb.<shard>.feedback.<peer>  { kind: 'ack' | 'resend', appliedSeq, durableSeq?, receivedSeq, atMs }
 *   tidaldb.<shard>.status.<peer>    { lastSeq, atMs, epoch }
 */
import { Packr } from 'msgpackr';
import { type LeaderStatus, WalError } from '../../src/index.js';
import type { FollowerFeedback, PeerId } from '../transport.js';
import { corrupt, countValue, finiteValue, show } from './messageFields.js';

/** A leader's announcement and the epoch it leads in (a follower ignores one from an older epoch than its own). */
export interface EpochStatus {
  readonly status: LeaderStatus;
  readonly epoch: number;
}

/** 256 bytes: either message is four small numbers (about 60 bytes); anything longer is not one of ours. */
export const MAX_CONTROL_MESSAGE_BYTES = 256;

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The body of `feedback` (its peer travels in the subject). */
export function encodeFeedback(feedback: FollowerFeedback): Uint8Array {
  const { kind, appliedSeq, durableSeq, receivedSeq, atMs } = feedback;
  return packr.pack(durableSeq === undefined ? { kind, appliedSeq, receivedSeq, atMs } : { kind, appliedSeq, durableSeq, receivedSeq, atMs });
}

/**
 * The feedback `peer` sent in `body`; WalError Corruption naming the field
 * when it is not one. `durableSeq`, when there, is a count no lower than
 * `appliedSeq` (a follower stores before it applies), as over TCP.
 */
export function decodeFeedback(peer: PeerId, body: Uint8Array): FollowerFeedback {
  const where = `feedback from ${JSON.stringify(peer)}`;
  const m = mapOf(body, where);
  const kind = m['kind'];
  if (kind !== 'ack' && kind !== 'resend') throw corrupt(`${where}: kind must be 'ack' or 'resend', got ${show(kind)}`);
  const appliedSeq = count(m, 'appliedSeq', where);
  const base = { peer, kind, appliedSeq, receivedSeq: count(m, 'receivedSeq', where), atMs: finite(m, 'atMs', where) } as const;
  if (m['durableSeq'] === undefined) return base;
  const durableSeq = count(m, 'durableSeq', where);
  if (durableSeq < appliedSeq) throw corrupt(`${where}: durableSeq ${durableSeq} is below appliedSeq ${appliedSeq}: a follower stores before it applies`);
  return { ...base, durableSeq };
}

export function encodeStatus(status: LeaderStatus, epoch: number): Uint8Array {
  return packr.pack({ lastSeq: status.lastSeq, atMs: status.atMs, epoch });
}

export function decodeStatus(body: Uint8Array): EpochStatus {
  const m = mapOf(body, 'leader status');
  return { status: { lastSeq: count(m, 'lastSeq', 'leader status'), atMs: finite(m, 'atMs', 'leader status') }, epoch: count(m, 'epoch', 'leader status') };
}

function mapOf(body: Uint8Array, where: string): Record<string, unknown> {
  if (body.length > MAX_CONTROL_MESSAGE_BYTES) throw corrupt(`${where}: ${body.length} bytes, more than ${MAX_CONTROL_MESSAGE_BYTES}`);
  let value: unknown;
  try {
    value = packr.unpack(body);
  } catch (cause) {
    throw new WalError('Corruption', `${where}: not one msgpack value (${(cause as Error).message})`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) throw corrupt(`${where}: not a map`);
  return value as Record<string, unknown>;
}

function count(m: Record<string, unknown>, field: string, where: string): number {
  return countValue(m[field], `${where}: ${field}`);
}

function finite(m: Record<string, unknown>, field: string, where: string): number {
  return finiteValue(m[field], `${where}: ${field}`);
}
