/**
 * A checkpoint file taken apart and put back with its checksum recomputed
 * (docs/wal-format.md, "Checkpoint"):
 *
 *   0..23   header fields: magic, version u16, reserved u16, shard id u32,
 *           body length u32, seqno u64
 *   24..55  BLAKE3 of bytes 0..23 followed by the body
 *   56..    body, msgpack
 */
import { blake3Digest } from '../../src/checksum.js';
import { copyRange, view } from './segmentParts.js';

export const CHECKPOINT_HEADER_BYTES = 56;
export const CHECKPOINT_HASHED_HEADER_BYTES = 24;

export interface CheckpointParts {
  /** The 24 hashed header bytes. */
  readonly fields: Uint8Array;
  readonly body: Uint8Array;
}

export function parseCheckpointParts(bytes: Uint8Array): CheckpointParts {
  return { fields: copyRange(bytes, 0, CHECKPOINT_HASHED_HEADER_BYTES), body: copyRange(bytes, CHECKPOINT_HEADER_BYTES, bytes.length) };
}

/** The file, with the body length written (unless `fixLength` is false) and the checksum recomputed. */
export function assembleCheckpoint(parts: CheckpointParts, options: { fixLength?: boolean } = {}): Uint8Array {
  const fields = Uint8Array.from(parts.fields);
  if (options.fixLength ?? true) view(fields).setUint32(12, parts.body.length, true);
  const out = new Uint8Array(CHECKPOINT_HEADER_BYTES + parts.body.length);
  out.set(fields);
  out.set(parts.body, CHECKPOINT_HEADER_BYTES);
  return recomputeCheckpointChecksum(out);
}

/** Rewrites the checksum of (possibly damaged) checkpoint bytes in place, when they are long enough to hold one. */
export function recomputeCheckpointChecksum(bytes: Uint8Array): Uint8Array {
  if (bytes.length < CHECKPOINT_HEADER_BYTES) return bytes;
  const hashed = Buffer.concat([bytes.subarray(0, CHECKPOINT_HASHED_HEADER_BYTES), bytes.subarray(CHECKPOINT_HEADER_BYTES)]);
  bytes.set(blake3Digest(hashed), CHECKPOINT_HASHED_HEADER_BYTES);
  return bytes;
}

/** The seqno a checkpoint's header names. */
export function checkpointSeqOf(bytes: Uint8Array): bigint {
  return view(bytes).getBigUint64(16, true);
}
