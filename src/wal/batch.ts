/**
 * BatchHeader v2 and the batch payload: the unit a write commits.
 *
 *   offset size field
 *        0    4 magic "TDWB"
 *        4    2 version (2), u16 LE
 *        6    2 reserved (0)
 *        8    4 shard id, u32 LE
 *       12    4 event count, u32 LE
 *       16    8 first seqno, u64 LE
 *       24    8 last seqno, u64 LE
 *       32    8 committed at, ms since epoch (leader clock), f64 LE
 *       40    4 payload length P, u32 LE
 *       44   32 BLAKE3-256 of the payload
 *       76    P payload: msgpack array of events (see eventCodec.ts)
 */
import { blake3Digest, bytesEqual, CHECKSUM_BYTES } from '../checksum.js';
import { WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import { decodeEvents, encodeEvents } from './eventCodec.js';
import { hasMagic, readTime, readU64, view, writeMagic } from './segmentHeader.js';

export const BATCH_MAGIC = 'TDWB';
export const BATCH_VERSION = 2;
export const BATCH_HEADER_BYTES = 76;

export interface BatchHeader {
  readonly shardId: number;
  readonly eventCount: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly committedAtMs: number;
  readonly payloadLength: number;
  readonly checksum: Uint8Array;
}

/** Encodes `events` (contiguous seqnos, at least one) as header + payload. */
export function encodeBatch(shardId: number, events: readonly WalEvent[], committedAtMs: number): Uint8Array {
  const payload = encodeEvents(events);
  const out = new Uint8Array(BATCH_HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  writeMagic(out, 0, BATCH_MAGIC);
  v.setUint16(4, BATCH_VERSION, true);
  v.setUint32(8, shardId, true);
  v.setUint32(12, events.length, true);
  v.setBigUint64(16, BigInt(events[0]!.seq), true);
  v.setBigUint64(24, BigInt(events[events.length - 1]!.seq), true);
  v.setFloat64(32, committedAtMs, true);
  v.setUint32(40, payload.length, true);
  out.set(blake3Digest(payload), 44);
  out.set(payload, BATCH_HEADER_BYTES);
  return out;
}

/** Reads the batch header at `offset`; throws Corruption on a bad magic or version. */
export function decodeBatchHeader(bytes: Uint8Array, offset: number, where: string): BatchHeader {
  if (offset + BATCH_HEADER_BYTES > bytes.length) {
    throw new WalError('Corruption', `${where}: batch header truncated at offset ${offset}`);
  }
  if (!hasMagic(bytes, offset, BATCH_MAGIC)) throw new WalError('Corruption', `${where}: bad batch magic at offset ${offset}`);
  const v = view(bytes);
  const version = v.getUint16(offset + 4, true);
  if (version !== BATCH_VERSION) throw new WalError('Corruption', `${where}: unsupported batch version ${version} at offset ${offset + 4}`);
  return {
    shardId: v.getUint32(offset + 8, true),
    eventCount: v.getUint32(offset + 12, true),
    firstSeq: readU64(v, offset + 16, where),
    lastSeq: readU64(v, offset + 24, where),
    committedAtMs: readTime(v, offset + 32, where, 'committed-at time'),
    payloadLength: v.getUint32(offset + 40, true),
    checksum: bytes.subarray(offset + 44, offset + 44 + CHECKSUM_BYTES),
  };
}

/**
 * Verifies and decodes the payload of the batch whose header `h` sits at
 * `offset`: the BLAKE3 must match, and the events must be exactly
 * `h.firstSeq..h.lastSeq`, so a flipped bit in the header is caught too.
 */
export function decodeBatchPayload(bytes: Uint8Array, offset: number, h: BatchHeader, where: string): WalEvent[] {
  const start = offset + BATCH_HEADER_BYTES;
  const payload = bytes.subarray(start, start + h.payloadLength);
  if (!bytesEqual(blake3Digest(payload), h.checksum)) {
    throw new WalError('Corruption', `${where}: batch checksum mismatch at offset ${offset} (seqnos ${h.firstSeq}..${h.lastSeq})`);
  }
  let events: WalEvent[];
  try {
    events = decodeEvents(payload);
  } catch (cause) {
    throw new WalError('Corruption', `${where}: undecodable batch payload at offset ${start}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const expected = h.lastSeq - h.firstSeq + 1;
  if (events.length !== h.eventCount || expected !== h.eventCount) {
    throw new WalError('Corruption', `${where}: batch at offset ${offset} claims ${h.eventCount} events for seqnos ${h.firstSeq}..${h.lastSeq} but holds ${events.length}`);
  }
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.seq !== h.firstSeq + i) {
      throw new WalError('Corruption', `${where}: batch at offset ${offset} holds seqno ${events[i]!.seq} where ${h.firstSeq + i} belongs`);
    }
  }
  return events;
}
