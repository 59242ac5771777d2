/**
 * A sealed segment taken apart into its regions, read with the offsets of
 * docs/wal-format.md only (not with the decoder under test), and put back
 * together with every checksum recomputed: each batch's payload BLAKE3 and
 * the footer's segment checksum. A mutation edits the parts; `assemble`
 * makes the result pass every checksum, so what refuses it (or not) is the
 * decoder's structure and content checks.
 *
 *   header  40 fixed bytes          meta length at 12 (u32)
 *   meta    M bytes of msgpack
 *   batch   76 header bytes          payload length at 40 (u32), BLAKE3 at 44..75
 *           P payload bytes
 *   footer  56 bytes                 segment BLAKE3 at 24..55, over every byte before it
 */
import { blake3Digest } from '../../src/checksum.js';

export const SEGMENT_FIXED_BYTES = 40;
export const BATCH_HEADER_BYTES = 76;
export const BATCH_CHECKSUM_AT = 44;
export const FOOTER_BYTES = 56;
export const FOOTER_HASHED_BYTES = 24;

export interface BatchParts {
  /** The 76 header bytes; `assemble` rewrites the payload length (unless told not to) and the checksum. */
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
}

export interface SegmentParts {
  /** The 40 fixed header bytes; `assemble` rewrites the meta length unless told not to. */
  readonly header: Uint8Array;
  readonly meta: Uint8Array;
  readonly batches: readonly BatchParts[];
  /** The footer's first 24 bytes (magic, event count, last seqno, sealed at), or null for none. */
  readonly footer: Uint8Array | null;
}

/** Takes a sealed segment apart (copies, so the parts can be edited freely). */
export function parseSegmentParts(bytes: Uint8Array): SegmentParts {
  const v = view(bytes);
  const metaLength = v.getUint32(12, true);
  const header = copyRange(bytes, 0, SEGMENT_FIXED_BYTES);
  const meta = copyRange(bytes, SEGMENT_FIXED_BYTES, SEGMENT_FIXED_BYTES + metaLength);
  const footerAt = bytes.length - FOOTER_BYTES;
  const batches: BatchParts[] = [];
  for (let at = SEGMENT_FIXED_BYTES + metaLength; at < footerAt;) {
    const payloadLength = v.getUint32(at + 40, true);
    const end = at + BATCH_HEADER_BYTES + payloadLength;
    batches.push({ header: copyRange(bytes, at, at + BATCH_HEADER_BYTES), payload: copyRange(bytes, at + BATCH_HEADER_BYTES, end) });
    at = end;
  }
  return { header, meta, batches, footer: copyRange(bytes, footerAt, footerAt + FOOTER_HASHED_BYTES) };
}

export interface AssembleOptions {
  /** Write the true meta and payload lengths (default true); false keeps the lengths the parts carry, lies included. */
  readonly fixLengths?: boolean;
}

/** Puts the parts back together with every checksum recomputed. */
export function assemble(parts: SegmentParts, options: AssembleOptions = {}): Uint8Array {
  const fixLengths = options.fixLengths ?? true;
  const header = Uint8Array.from(parts.header);
  if (fixLengths) view(header).setUint32(12, parts.meta.length, true);
  const chunks: Uint8Array[] = [header, parts.meta];
  for (const b of parts.batches) {
    const bh = Uint8Array.from(b.header);
    if (fixLengths) view(bh).setUint32(40, b.payload.length, true);
    bh.set(blake3Digest(b.payload), BATCH_CHECKSUM_AT);
    chunks.push(bh, b.payload);
  }
  if (parts.footer === null) return Buffer.concat(chunks);
  chunks.push(parts.footer);
  const body = Buffer.concat(chunks);
  const out = new Uint8Array(body.length + 32);
  out.set(body);
  out.set(blake3Digest(body), body.length);
  return out;
}

/**
 * A copy of bytes [from, to). Not `bytes.slice`: on a Buffer (what the WAL
 * and sockets hand out) `slice` is a view, and editing it would edit the
 * real segment.
 */
export function copyRange(bytes: Uint8Array, from: number, to: number): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes, from, to);
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Byte ranges of a sealed segment's regions, by the spec's offsets. */
export interface SegmentRegions {
  readonly header: readonly [number, number];
  readonly meta: readonly [number, number];
  readonly batchHeaders: ReadonlyArray<readonly [number, number]>;
  readonly payloads: ReadonlyArray<readonly [number, number]>;
  readonly footer: readonly [number, number];
}

export function regionsOf(bytes: Uint8Array): SegmentRegions {
  const parts = parseSegmentParts(bytes);
  const batchHeaders: Array<readonly [number, number]> = [];
  const payloads: Array<readonly [number, number]> = [];
  let at = SEGMENT_FIXED_BYTES + parts.meta.length;
  for (const b of parts.batches) {
    batchHeaders.push([at, at + BATCH_HEADER_BYTES]);
    payloads.push([at + BATCH_HEADER_BYTES, at + BATCH_HEADER_BYTES + b.payload.length]);
    at += BATCH_HEADER_BYTES + b.payload.length;
  }
  return {
    header: [0, SEGMENT_FIXED_BYTES], meta: [SEGMENT_FIXED_BYTES, SEGMENT_FIXED_BYTES + parts.meta.length],
    batchHeaders, payloads, footer: [bytes.length - FOOTER_BYTES, bytes.length],
  };
}
