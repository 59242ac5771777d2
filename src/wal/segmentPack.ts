/**
 * A segment pack: one file holding several sealed segments back to back,
 * each byte for byte as its leader shipped it (docs/wal-format.md, "Segment
 * packs"). A follower appends the segments it receives to the newest pack
 * and makes them durable with one fdatasync, instead of a file, an fsync,
 * a rename and a directory fsync for each. Pure: bytes in, extents out.
 *
 *   pack : [H1 b b F1][H2 b F2][H3 b b b F3] ... (only sealed segments)
 */
import { BATCH_HEADER_BYTES, BATCH_MAGIC } from './batch.js';
import { blake3Digest, bytesEqual } from '../checksum.js';
import { FOOTER_BYTES, FOOTER_HASHED_BYTES, FOOTER_MAGIC } from './segmentFooter.js';
import { hasMagic, SEGMENT_HEADER_FIXED_BYTES, SEGMENT_MAGIC } from './segmentHeader.js';

/** Where one sealed segment sits in its pack. */
export interface PackedSegment {
  readonly segmentId: number;
  readonly offset: number;
  readonly length: number;
}

/** The whole segments of a pack, in order, and where they end. */
export interface PackLayout {
  readonly segments: readonly PackedSegment[];
  /** Bytes from here on do not make a whole sealed segment (a torn append, or damage). */
  readonly end: number;
}

const PACK_RE = /^shard-(\d{10})-seg-(\d{20})\.wals$/;

/** `shard-0000000003-seg-00000000000000000042.wals`: a pack whose first segment is 42. */
export function packFileName(shardId: number, firstSegmentId: number): string {
  return `shard-${String(shardId).padStart(10, '0')}-seg-${String(firstSegmentId).padStart(20, '0')}.wals`;
}

export function parsePackFileName(name: string): { shardId: number; firstSegmentId: number } | null {
  const m = PACK_RE.exec(name);
  return m ? { shardId: Number(m[1]), firstSegmentId: Number(m[2]) } : null;
}

/**
 * Walks a pack's bytes by the segment structure alone (header, batch headers,
 * footer magic): the checksums are checked where the segments are read.
 */
export function splitPack(bytes: Uint8Array): PackLayout {
  const segments: PackedSegment[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (let length = sealedLength(bytes, v, 0); length !== null; length = sealedLength(bytes, v, offset)) {
    segments.push({ segmentId: Number(v.getBigUint64(offset + 16, true)), offset, length });
    offset += length;
  }
  return { segments, end: offset };
}

/**
 * True when a whole sealed segment, its footer checksum verified, starts at
 * or after `from`: what tells damage (data acknowledged after it) from a
 * torn append (nothing whole after the tear). A segment header's magic alone
 * would not do: a torn segment's own bytes may hold it (an item id "TDWS").
 */
export function hasWholeSegmentFrom(bytes: Uint8Array, from: number): boolean {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = Math.max(0, from); i + 4 <= bytes.length; i++) {
    if (!hasMagic(bytes, i, SEGMENT_MAGIC)) continue;
    const length = sealedLength(bytes, v, i);
    if (length !== null && footerVerifies(bytes.subarray(i, i + length))) return true;
  }
  return false;
}

function footerVerifies(segment: Uint8Array): boolean {
  const footer = segment.length - FOOTER_BYTES;
  return bytesEqual(blake3Digest(segment.subarray(0, footer + FOOTER_HASHED_BYTES)), segment.subarray(footer + FOOTER_HASHED_BYTES));
}

/** The length of the sealed segment starting at `start`, or null when none is whole there. */
function sealedLength(bytes: Uint8Array, v: DataView, start: number): number | null {
  if (start + SEGMENT_HEADER_FIXED_BYTES + FOOTER_BYTES > bytes.length || !hasMagic(bytes, start, SEGMENT_MAGIC)) return null;
  let at = start + SEGMENT_HEADER_FIXED_BYTES + v.getUint32(start + 12, true);
  while (at + 4 <= bytes.length) {
    if (hasMagic(bytes, at, FOOTER_MAGIC)) return at + FOOTER_BYTES <= bytes.length ? at + FOOTER_BYTES - start : null;
    if (!hasMagic(bytes, at, BATCH_MAGIC) || at + BATCH_HEADER_BYTES > bytes.length) return null;
    at += BATCH_HEADER_BYTES + v.getUint32(at + 40, true);
  }
  return null;
}

/**
 * Walks a segment file a leader writes (`.wal`): whole sealed segments, then
 * at most an unsealed one (the active segment, its torn tail included), which
 * may be followed by one more segment when its footer never reached the disk
 * (a crash mid-seal: the footer's slot is left out of both, so recovery sees
 * the shape dropAfterUnsealed repairs). `end` is where bytes stop making
 * segments: a torn header, or damage.
 */
export function splitWritten(bytes: Uint8Array): PackLayout {
  const segments: PackedSegment[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.length) {
    const whole = sealedLength(bytes, v, offset);
    if (whole !== null) {
      segments.push({ segmentId: Number(v.getBigUint64(offset + 16, true)), offset, length: whole });
      offset += whole;
      continue;
    }
    if (offset + SEGMENT_HEADER_FIXED_BYTES > bytes.length || !hasMagic(bytes, offset, SEGMENT_MAGIC)) break;
    const segmentId = Number(v.getBigUint64(offset + 16, true));
    const batchesEnd = intactBatchesEnd(bytes, v, offset + SEGMENT_HEADER_FIXED_BYTES + v.getUint32(offset + 12, true));
    const next = batchesEnd + FOOTER_BYTES;
    if (next + SEGMENT_HEADER_FIXED_BYTES <= bytes.length && hasMagic(bytes, next, SEGMENT_MAGIC)) {
      segments.push({ segmentId, offset, length: batchesEnd - offset });
      offset = next;
      continue;
    }
    segments.push({ segmentId, offset, length: bytes.length - offset });
    offset = bytes.length;
  }
  return { segments, end: offset };
}

/** Where the run of whole batches starting at `at` ends. */
function intactBatchesEnd(bytes: Uint8Array, v: DataView, at: number): number {
  while (at + BATCH_HEADER_BYTES <= bytes.length && hasMagic(bytes, at, BATCH_MAGIC)) {
    const end = at + BATCH_HEADER_BYTES + v.getUint32(at + 40, true);
    if (end > bytes.length) break;
    at = end;
  }
  return at;
}

/**
 * The most segment files (or packs) a shard's directory holds when `fileBytes`
 * is their total size: every file but the newest took segments until it
 * held `packBytes`, so each of those is at least that big.
 */
export function packedFileBound(fileBytes: number, packBytes: number): number {
  return Math.floor(fileBytes / packBytes) + 1;
}
