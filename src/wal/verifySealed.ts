/**
 * The quick check of a sealed segment whose events a checkpoint already
 * holds: header, footer, and the footer's BLAKE3 over every byte before it.
 * One hash and no msgpack decoding: opening from a checkpoint then costs
 * one hash per retained segment rather than a full decode. Any
 * flipped bit still fails it, since the footer hash covers the whole segment.
 */
import { blake3Digest, bytesEqual } from '../checksum.js';
import { WalError } from '../errors.js';
import { decodeSegmentFooter, FOOTER_BYTES, FOOTER_HASHED_BYTES, FOOTER_MAGIC, type SegmentFooter } from './segmentFooter.js';
import { decodeSegment } from './decodeSegment.js';
import { decodeSegmentHeader, hasMagic, type SegmentHeader } from './segmentHeader.js';

/** The footer's claims without verifying them, or null when the bytes do not end in a footer. */
export function peekFooter(bytes: Uint8Array, where: string): SegmentFooter | null {
  const offset = bytes.length - FOOTER_BYTES;
  if (offset < 0 || !hasMagic(bytes, offset, FOOTER_MAGIC)) return null;
  try {
    return decodeSegmentFooter(bytes, offset, where);
  } catch {
    return null;
  }
}

/**
 * Verifies a sealed segment with one hash. On a mismatch it runs the full
 * decoder to name the first damaged region and its offset, which is what an
 * operator needs; only a segment that decodes cleanly apart from its footer
 * hash gets the footer's offset.
 */
export function verifySealed(bytes: Uint8Array, where: string): { header: SegmentHeader; footer: SegmentFooter } {
  try {
    return verifySealedQuick(bytes, where);
  } catch (quick) {
    decodeSegment(bytes, where, 'sealed'); // throws the precise Corruption, if it can find one
    throw quick;
  }
}

function verifySealedQuick(bytes: Uint8Array, where: string): { header: SegmentHeader; footer: SegmentFooter } {
  const { header } = decodeSegmentHeader(bytes, where);
  const offset = bytes.length - FOOTER_BYTES;
  const footer = decodeSegmentFooter(bytes, offset, where);
  if (!bytesEqual(blake3Digest(bytes.subarray(0, offset + FOOTER_HASHED_BYTES)), footer.checksum)) {
    throw new WalError('Corruption', `${where}: segment checksum mismatch in footer at offset ${offset}`);
  }
  if (footer.lastSeq < header.firstSeq) {
    throw new WalError('Corruption', `${where}: footer at offset ${offset} ends at seqno ${footer.lastSeq}, before the header's first seqno ${header.firstSeq}`);
  }
  return { header, footer };
}
