/**
 * Recovery rule 8 (docs/wal-format.md, "Recovery (open)"), as
 * src/wal/dropAfterUnsealed.ts applies it: a power loss mid-seal can leave
 * the sealed segment without its footer while the next segment's bytes
 * reached the disk. That next segment held nothing acknowledged, so open
 * removes it and continues the unsealed one as the active segment. Pure:
 * the two segments' bytes in, a verdict out.
 */
import { decodeSegment, type DecodedSegment, decodeSegmentHeader, FOOTER_BYTES, hasIntactBatchFrom } from '../../src/internal.js';

const FOOTER_MAGIC = Buffer.from('TDWF', 'latin1');

/** Why open removes the log's last segment. */
export interface LostSeal {
  readonly reason: string;
  /** It held no intact batch (its own creation was cut short too): open then looks at the one before it as well. */
  readonly empty: boolean;
}

/**
 * Whether open removes `last` (the log's last segment) because `before`
 * (the one before it, id `beforeId`) lost its footer; null when it does not
 * (either has a footer, or `last` holds batches that do not continue `before`).
 */
export function lostSeal(last: Uint8Array, before: Uint8Array, beforeId: number, beforeFile: string): LostSeal | null {
  if (hasFooterMagicAtEnd(last) || hasFooterMagicAtEnd(before)) return null;
  if (!hasIntactBatchFrom(last, 0)) return { reason: 'created before the previous segment\'s seal was durable; it held no intact batch', empty: true };
  const unsealedEnd = cleanUnsealedEnd(before, beforeFile);
  if (unsealedEnd === null || firstSeqOf(last) !== unsealedEnd + 1) return null;
  return { reason: `created before segment ${beforeId}'s seal was durable (its footer never reached the disk): it held nothing acknowledged`, empty: false };
}

/** The last seqno of a segment whose footer never became durable (every batch intact, then nothing or a footer's start), else null. */
function cleanUnsealedEnd(bytes: Uint8Array, file: string): number | null {
  let decoded: DecodedSegment;
  try {
    decoded = decodeSegment(bytes, file, 'active');
  } catch {
    return null;
  }
  const rest = Buffer.from(bytes.subarray(decoded.validLength));
  const footerStart = FOOTER_MAGIC.subarray(0, Math.min(rest.length, 4));
  if (rest.length >= FOOTER_BYTES || !rest.subarray(0, footerStart.length).equals(footerStart)) return null;
  return decoded.lastSeq;
}

function firstSeqOf(bytes: Uint8Array): number | null {
  try {
    return decodeSegmentHeader(bytes, '').header.firstSeq;
  } catch {
    return null;
  }
}

function hasFooterMagicAtEnd(bytes: Uint8Array): boolean {
  return bytes.length >= FOOTER_BYTES && Buffer.from(bytes.subarray(bytes.length - FOOTER_BYTES, bytes.length - FOOTER_BYTES + 4)).equals(FOOTER_MAGIC);
}
