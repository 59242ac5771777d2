/**
 * Segments forged with the real encoders and every checksum recomputed, so
 * what a test feeds a follower gets past the hashes and reaches the content
 * checks: the bytes a compromised or buggy leader could send.
 */
import { Packr } from 'msgpackr';
import { Checksum, createHasher } from '../../src/checksum.js';
import { BATCH_HEADER_BYTES, encodeBatch } from '../../src/wal/batch.js';
import { encodeSegmentFooter } from '../../src/wal/segmentFooter.js';
import { encodeSegmentHeader, SEGMENT_HEADER_FIXED_BYTES } from '../../src/wal/segmentHeader.js';
import type { WalSegmentPayload } from '../../src/wal/walSegmentPayload.js';
import { blake3Digest } from '../../src/checksum.js';

export const FORGED_AT_MS = 1_700_000_000_000;
const tuplePackr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
const metaPackr = new Packr({ useRecords: false });

export interface ForgeOptions {
  /** Event tuples as eventCodec.ts writes them: [seq, 1, itemId, type, weight, at] or [seq, 2, id, text, fields]. */
  readonly tuples: readonly unknown[][];
  readonly firstSeq?: number;
  readonly segmentId?: number;
  readonly shardId?: number;
  /** The msgpack meta map of the header, written as given. Default: region 'forge', one-hour half-life, epoch 0. */
  readonly meta?: unknown;
}

/** A sealed segment holding `tuples` in one batch, every checksum valid. */
export function forgeSegment(o: ForgeOptions): WalSegmentPayload {
  const firstSeq = o.firstSeq ?? 1;
  const segmentId = o.segmentId ?? 1;
  const shardId = o.shardId ?? 0;
  const header = withMeta(encodeSegmentHeader({
    shardId, segmentId, firstSeq, createdAtMs: FORGED_AT_MS, regionId: 'forge',
    halfLives: { defaultMs: 3_600_000, byType: new Map() }, epoch: 0, epochStartSeq: 1, epochHistory: [],
  }), o.meta ?? { r: 'forge', h: { d: 3_600_000, t: {} }, e: 0 });
  const lastSeq = firstSeq + o.tuples.length - 1;
  // Encode a well-formed batch, then put the forged tuples in as its payload with their own hash.
  const shell = encodeBatch(shardId, [{ kind: 'signal', seq: firstSeq, itemId: 'x', type: 'view', weight: 1, at: 0 }], FORGED_AT_MS);
  const payload = tuplePackr.pack(o.tuples);
  const batch = new Uint8Array(BATCH_HEADER_BYTES + payload.length);
  batch.set(shell.subarray(0, BATCH_HEADER_BYTES));
  const v = new DataView(batch.buffer);
  v.setUint16(4, 2, true); // the tuples are a batch payload of version 2
  v.setUint32(12, o.tuples.length, true);
  v.setBigUint64(24, BigInt(lastSeq), true);
  v.setUint32(40, payload.length, true);
  batch.set(blake3Digest(payload), 44);
  batch.set(payload, BATCH_HEADER_BYTES);
  const footer = encodeSegmentFooter({ eventCount: o.tuples.length, lastSeq, sealedAtMs: FORGED_AT_MS }, createHasher().update(header).update(batch));
  const bytes = Buffer.concat([header, batch, footer]);
  return { shardId, segmentId, firstSeq, lastSeq, sealedAtMs: FORGED_AT_MS, bytes, checksum: Checksum.of(bytes) };
}

/** `header` with its meta block replaced by msgpack of `meta` (the length field fixed up). */
function withMeta(header: Uint8Array, meta: unknown): Uint8Array {
  const packed = metaPackr.pack(meta);
  const out = new Uint8Array(SEGMENT_HEADER_FIXED_BYTES + packed.length);
  out.set(header.subarray(0, SEGMENT_HEADER_FIXED_BYTES));
  new DataView(out.buffer).setUint32(12, packed.length, true);
  out.set(packed, SEGMENT_HEADER_FIXED_BYTES);
  return out;
}

