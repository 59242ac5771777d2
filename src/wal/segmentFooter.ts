/**
 * The footer written when a segment is sealed. Its presence is what makes a
 * segment sealed; an active segment ends after its last batch.
 *
 *   offset size field
 *        0    4 magic "TDWF"
 *        4    4 event count in the segment, u32 LE
 *        8    8 last seqno, u64 LE
 *       16    8 sealed at, ms since epoch (leader clock), f64 LE
 *       24   32 BLAKE3-256 of every segment byte before this field
 *              (header, batches and footer bytes 0..23)
 */
import { CHECKSUM_BYTES, type Hasher } from '../checksum.js';
import { WalError } from '../errors.js';
import { hasMagic, readTime, readU64, view, writeMagic } from './segmentHeader.js';

export const FOOTER_MAGIC = 'TDWF';
export const FOOTER_BYTES = 56;
/** Bytes of the footer covered by its own checksum. */
export const FOOTER_HASHED_BYTES = 24;

export interface SegmentFooter {
  readonly eventCount: number;
  readonly lastSeq: number;
  readonly sealedAtMs: number;
}

/** Encodes the footer; `prefix` has hashed every segment byte before it and is consumed. */
export function encodeSegmentFooter(f: SegmentFooter, prefix: Hasher): Uint8Array {
  const out = new Uint8Array(FOOTER_BYTES);
  const v = new DataView(out.buffer);
  writeMagic(out, 0, FOOTER_MAGIC);
  v.setUint32(4, f.eventCount, true);
  v.setBigUint64(8, BigInt(f.lastSeq), true);
  v.setFloat64(16, f.sealedAtMs, true);
  out.set(prefix.update(out.subarray(0, FOOTER_HASHED_BYTES)).digest(), FOOTER_HASHED_BYTES);
  return out;
}

export function decodeSegmentFooter(bytes: Uint8Array, offset: number, where: string): SegmentFooter & { checksum: Uint8Array } {
  if (offset + FOOTER_BYTES !== bytes.length) {
    throw new WalError('Corruption', `${where}: footer at offset ${offset} is ${bytes.length - offset} bytes, expected ${FOOTER_BYTES}`);
  }
  if (!hasMagic(bytes, offset, FOOTER_MAGIC)) throw new WalError('Corruption', `${where}: bad footer magic at offset ${offset}`);
  const v = view(bytes);
  return {
    eventCount: v.getUint32(offset + 4, true),
    lastSeq: readU64(v, offset + 8, where),
    sealedAtMs: readTime(v, offset + 16, where, 'sealed-at time'),
    checksum: bytes.subarray(offset + FOOTER_HASHED_BYTES, offset + FOOTER_HASHED_BYTES + CHECKSUM_BYTES),
  };
}
