/**
 * Recomputes, in place, every checksum inside segment bytes that were
 * mutated at the byte level (a flip, an insert, a delete, a truncation),
 * walking the layout the damaged bytes now declare, so the inner decoder
 * sees the damage instead of a checksum mismatch:
 *
 * - each batch's payload BLAKE3 (batch bytes 44..75), for every batch whose
 *   declared payload still lies inside the bytes;
 * - the segment checksum in the last 32 bytes, over every byte before it,
 *   when the bytes are long enough to end in a footer.
 *
 * The payload's own checksum (`Checksum.of(bytes)`) is `payloadOf`'s job.
 */
import { blake3Digest } from '../../src/checksum.js';
import { BATCH_CHECKSUM_AT, BATCH_HEADER_BYTES, FOOTER_BYTES, SEGMENT_FIXED_BYTES, view } from './segmentParts.js';

export function recomputeChecksums(bytes: Uint8Array, options: { footer?: boolean } = {}): Uint8Array {
  if (bytes.length < SEGMENT_FIXED_BYTES) return bytes;
  const v = view(bytes);
  const footerAt = bytes.length - FOOTER_BYTES;
  let at = SEGMENT_FIXED_BYTES + v.getUint32(12, true);
  while (at + BATCH_HEADER_BYTES <= bytes.length && at < footerAt) {
    const payloadEnd = at + BATCH_HEADER_BYTES + v.getUint32(at + 40, true);
    if (payloadEnd > bytes.length) break;
    bytes.set(blake3Digest(bytes.subarray(at + BATCH_HEADER_BYTES, payloadEnd)), at + BATCH_CHECKSUM_AT);
    at = payloadEnd;
  }
  if ((options.footer ?? true) && footerAt >= SEGMENT_FIXED_BYTES) {
    bytes.set(blake3Digest(bytes.subarray(0, bytes.length - 32)), bytes.length - 32);
  }
  return bytes;
}
