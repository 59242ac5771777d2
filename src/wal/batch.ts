/**
 * The batch: the unit a write commits. A 76-byte header, the same in
 * versions 2 and 3, then the payload:
 *
 *   offset size field
 *        0    4 magic "TDWB"
 *        4    2 version (3; 2 still read), u16 LE
 *        6    2 reserved (0)
 *        8    4 shard id, u32 LE
 *       12    4 event count, u32 LE
 *       16    8 first seqno, u64 LE
 *       24    8 last seqno, u64 LE
 *       32    8 committed at, ms since epoch (leader clock), f64 LE
 *       40    4 payload length P, u32 LE
 *       44   32 BLAKE3-256 of the payload
 *       76    P payload: v3 columnar (encodeColumnarPayload.ts),
 *                v2 one msgpack tuple per event (eventCodec.ts)
 *
 * Writers write v3. The header did not change, so everything that walks
 * batches by their headers (merges, torn-tail scans, inspect) reads both,
 * and a segment may hold both (an upgraded node appends v3 batches to the
 * v2 segment it reopens; a merge copies batches as they are).
 */
import { blake3Digest, bytesEqual, CHECKSUM_BYTES } from '../checksum.js';
import { assert, WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import { MAX_BATCH_EVENTS } from '../limits.js';
import { type BatchColumns, columnsOfEvents } from './batchColumns.js';
import { decodeColumnarPayload } from './decodeColumnarPayload.js';
import { encodeColumnarPayload } from './encodeColumnarPayload.js';
import { decodeEvents } from './eventCodec.js';
import { hasMagic, readTime, readU64, view, writeMagic } from './segmentHeader.js';
import type { VerifiedBytes } from './verifiedBytes.js';

export const BATCH_MAGIC = 'TDWB';
/** The version writers write: columnar. */
export const BATCH_VERSION = 3;
/** One msgpack tuple per event, with its seqno: written before v3, still read. */
export const BATCH_VERSION_TUPLES = 2;
export const BATCH_HEADER_BYTES = 76;

export interface BatchHeader {
  readonly version: number;
  readonly shardId: number;
  readonly eventCount: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly committedAtMs: number;
  readonly payloadLength: number;
  readonly checksum: Uint8Array;
}

/** A batch's payload decoded: its columns, and (v2) the events it was decoded from. */
export interface DecodedPayload {
  readonly columns: BatchColumns;
  /** v2 only: the events themselves (a v3 batch materialises them on demand). */
  readonly events: WalEvent[] | null;
}

/** Encodes `events` (contiguous seqnos, 1..MAX_BATCH_EVENTS of them) as a v3 header + payload. */
export function encodeBatch(shardId: number, events: readonly WalEvent[], committedAtMs: number): Uint8Array {
  assert(events.length >= 1 && events.length <= MAX_BATCH_EVENTS, `a batch holds 1..${MAX_BATCH_EVENTS} events, got ${events.length}`);
  const first = events[0]!.seq;
  const last = events[events.length - 1]!.seq;
  assert(last - first + 1 === events.length, `a batch's seqnos are contiguous: ${first}..${last} for ${events.length} events`);
  return encodeBatchOf(BATCH_VERSION, shardId, first, last, events.length, committedAtMs, encodeColumnarPayload(events));
}

/** Header + payload; the version says what the payload is. */
export function encodeBatchOf(version: number, shardId: number, firstSeq: number, lastSeq: number, count: number, committedAtMs: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(BATCH_HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  writeMagic(out, 0, BATCH_MAGIC);
  v.setUint16(4, version, true);
  v.setUint32(8, shardId, true);
  v.setUint32(12, count, true);
  v.setBigUint64(16, BigInt(firstSeq), true);
  v.setBigUint64(24, BigInt(lastSeq), true);
  v.setFloat64(32, committedAtMs, true);
  v.setUint32(40, payload.length, true);
  out.set(blake3Digest(payload), 44);
  out.set(payload, BATCH_HEADER_BYTES);
  return out;
}

/** Reads the batch header at `offset`; throws Corruption on a bad magic or an unknown version. */
export function decodeBatchHeader(bytes: Uint8Array, offset: number, where: string): BatchHeader {
  if (offset + BATCH_HEADER_BYTES > bytes.length) {
    throw new WalError('Corruption', `${where}: batch header truncated at offset ${offset}`);
  }
  if (!hasMagic(bytes, offset, BATCH_MAGIC)) throw new WalError('Corruption', `${where}: bad batch magic at offset ${offset}`);
  const v = view(bytes);
  const version = v.getUint16(offset + 4, true);
  if (version !== BATCH_VERSION && version !== BATCH_VERSION_TUPLES) {
    throw new WalError('Corruption', `${where}: unsupported batch version ${version} at offset ${offset + 4}`);
  }
  return {
    version,
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
 * `offset`. Its BLAKE3 must match, unless `verified` proves the whole
 * segment's bytes matched their sender's checksum (see VerifiedBytes); the
 * events must be exactly `h.firstSeq..h.lastSeq`, so a flipped bit in the
 * header is caught too; and their content is checked either way.
 */
export function decodeBatchPayload(bytes: Uint8Array, offset: number, h: BatchHeader, where: string, verified: VerifiedBytes | null): DecodedPayload {
  const start = offset + BATCH_HEADER_BYTES;
  const payload = bytes.subarray(start, start + h.payloadLength);
  assert(verified === null || verified.bytes === bytes, 'a VerifiedBytes proof covers only the bytes it hashed');
  if (verified === null && !bytesEqual(blake3Digest(payload), h.checksum)) {
    throw new WalError('Corruption', `${where}: batch checksum mismatch at offset ${offset} (seqnos ${h.firstSeq}..${h.lastSeq})`);
  }
  const expected = h.lastSeq - h.firstSeq + 1;
  if (expected !== h.eventCount || (h.version === BATCH_VERSION && (expected < 1 || expected > MAX_BATCH_EVENTS))) {
    throw new WalError('Corruption', `${where}: batch at offset ${offset} claims ${h.eventCount} events for seqnos ${h.firstSeq}..${h.lastSeq}${h.version === BATCH_VERSION ? ` (a v3 batch holds 1..${MAX_BATCH_EVENTS})` : ''}`);
  }
  if (h.version === BATCH_VERSION_TUPLES) return decodeTuplePayload(payload, offset, h, where);
  try {
    return { columns: decodeColumnarPayload(payload, h.firstSeq, h.eventCount), events: null };
  } catch (cause) {
    throw undecodable(where, start, cause);
  }
}

/** A v2 payload: events decoded and checked one tuple at a time, then turned into columns. */
function decodeTuplePayload(payload: Uint8Array, offset: number, h: BatchHeader, where: string): DecodedPayload {
  let events: WalEvent[];
  try {
    events = decodeEvents(payload);
  } catch (cause) {
    throw undecodable(where, offset + BATCH_HEADER_BYTES, cause);
  }
  if (events.length !== h.eventCount) {
    throw new WalError('Corruption', `${where}: batch at offset ${offset} claims ${h.eventCount} events for seqnos ${h.firstSeq}..${h.lastSeq} but holds ${events.length}`);
  }
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.seq !== h.firstSeq + i) {
      throw new WalError('Corruption', `${where}: batch at offset ${offset} holds seqno ${events[i]!.seq} where ${h.firstSeq + i} belongs`);
    }
  }
  return { columns: columnsOfEvents(events), events };
}

function undecodable(where: string, payloadOffset: number, cause: unknown): WalError {
  return new WalError('Corruption', `${where}: undecodable batch payload at offset ${payloadOffset}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}
