/**
 * The segment decoder: a small state machine (header, batches, footer) that
 * hashes as it reads and verifies before it hands anything out.
 *
 * Two modes:
 * - `sealed`: every byte must check out (a shipped segment, or a sealed one
 *   on disk); any damage is `WalError` `Corruption` naming the offset.
 * - `active`: the local active segment being recovered. A damaged or partial
 *   last batch (or a footer cut short) is a torn tail: decoding stops there
 *   and reports it, since a crash mid-write leaves exactly that. Damage
 *   followed by an intact batch, or by a footer, is still corruption: those
 *   bytes were written after it, so it was no torn write.
 *
 * Given `VerifiedBytes` (bytes whose whole BLAKE3 matched their sender's
 * checksum, see verifiedBytes.ts) instead of plain bytes, it skips the batch
 * and footer hashes, which that hash already covers; every structural and
 * content check still runs. Files read from disk are plain bytes: recovery
 * checks every hash.
 *
 * A footer is recognised only where it must be, in the last 56 bytes.
 * Batches of versions 2 and 3 may follow each other in one segment.
 */
import { blake3Digest, bytesEqual, createHasher, type Hasher } from '../checksum.js';
import { assert, WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import { BATCH_HEADER_BYTES, BATCH_MAGIC, decodeBatchHeader, decodeBatchPayload } from './batch.js';
import { type BatchColumns, eventsOfColumns } from './batchColumns.js';
import { decodeSegmentFooter, FOOTER_BYTES, FOOTER_HASHED_BYTES, FOOTER_MAGIC, type SegmentFooter } from './segmentFooter.js';
import { decodeSegmentHeader, hasMagic, type SegmentHeader, view } from './segmentHeader.js';
import { VerifiedBytes } from './verifiedBytes.js';

export interface DecodedBatch {
  readonly offset: number;
  /** The batch format: 3 (columnar) or 2 (a tuple per event). */
  readonly version: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly committedAtMs: number;
  readonly eventCount: number;
  /** The events as columns: what the apply loop reads, no object per signal. */
  readonly columns: BatchColumns;
  /** The events as objects, made on first read (and kept) from the columns of a v3 batch. */
  readonly events: readonly WalEvent[];
}

/** What a walk over a segment found, without its batches (walkSegment hands those out one at a time). */
export interface SegmentSummary {
  readonly header: SegmentHeader;
  /** Events in its intact batches. */
  readonly eventCount: number;
  /** Null for an active (unsealed) segment. */
  readonly footer: SegmentFooter | null;
  /** Offset just past the last intact byte (the whole length when sealed). */
  readonly validLength: number;
  /** Highest seqno in the segment, or firstSeq - 1 when it holds no event. */
  readonly lastSeq: number;
  /** Set when an active segment ended in a torn batch. */
  readonly torn: { readonly offset: number; readonly reason: string } | null;
}

export interface DecodedSegment extends SegmentSummary {
  readonly batches: readonly DecodedBatch[];
}

/** What walkSegment calls: the header before any batch, then each batch as it is decoded and checked. */
export interface SegmentVisitor {
  readonly onHeader?: (header: SegmentHeader) => void;
  readonly onBatch: (batch: DecodedBatch) => void;
}

export type DecodeMode = 'sealed' | 'active';

/** Decodes `input` in `mode`; a VerifiedBytes input must be decoded 'sealed' (it is a shipped segment). */
export function decodeSegment(input: Uint8Array | VerifiedBytes, where: string, mode: DecodeMode): DecodedSegment {
  const batches: DecodedBatch[] = [];
  const summary = walkSegment(input, where, mode, { onBatch: (batch) => void batches.push(batch) });
  return { ...summary, batches };
}

/**
 * `decodeSegment`, handing each batch to `visit.onBatch` as soon as it is
 * decoded and checked rather than keeping them all: recovery's replay, which
 * applies a batch and drops it. Why: a 1 MiB segment's decoded batches (their
 * dictionaries' strings) lived until the whole segment was decoded, so the
 * young-generation collector copied them; replay spent more in it than in
 * the ledger (profiled). The segment's checksum (sealed) and footer are
 * checked after its batches were handed out: a caller that must apply all or
 * nothing (a follower) decodes first instead.
 */
export function walkSegment(input: Uint8Array | VerifiedBytes, where: string, mode: DecodeMode, visit: SegmentVisitor): SegmentSummary {
  const verified = input instanceof VerifiedBytes ? input : null;
  const bytes = verified ? verified.bytes : input as Uint8Array;
  assert(verified === null || mode === 'sealed', 'verified bytes are a shipped segment, decoded sealed');
  const { header, length: headerLength } = decodeSegmentHeader(bytes, where);
  visit.onHeader?.(header);
  // With verified bytes the footer hash is not checked, so nothing is collected for it.
  const prefix: Hasher | null = verified ? null : createHasher().update(bytes.subarray(0, headerLength));
  let eventCount = 0;
  let offset = headerLength;
  let lastSeq = header.firstSeq - 1;
  while (offset < bytes.length && !isFooterAt(bytes, offset)) {
    let batch: DecodedBatch;
    let end: number;
    try {
      ({ batch, end } = decodeBatchAt(bytes, offset, where, header, lastSeq, verified));
    } catch (err) {
      if (mode === 'active' && err instanceof WalError && isTail(bytes, offset)) {
        return { header, eventCount, footer: null, validLength: offset, lastSeq, torn: { offset, reason: err.message } };
      }
      throw err;
    }
    prefix?.update(bytes.subarray(offset, end));
    visit.onBatch(batch);
    eventCount += batch.eventCount;
    lastSeq = batch.lastSeq;
    offset = end;
  }
  if (offset === bytes.length) {
    if (mode === 'sealed') throw new WalError('Corruption', `${where}: sealed segment has no footer (ends at offset ${offset})`);
    return { header, eventCount, footer: null, validLength: offset, lastSeq, torn: null };
  }
  const footer = decodeSegmentFooter(bytes, offset, where);
  if (prefix !== null && !bytesEqual(prefix.update(bytes.subarray(offset, offset + FOOTER_HASHED_BYTES)).digest(), footer.checksum)) {
    throw new WalError('Corruption', `${where}: segment checksum mismatch in footer at offset ${offset}`);
  }
  if (footer.lastSeq !== lastSeq || footer.eventCount !== eventCount) {
    throw new WalError('Corruption', `${where}: footer at offset ${offset} claims ${footer.eventCount} events up to seqno ${footer.lastSeq}, segment holds ${eventCount} up to ${lastSeq}`);
  }
  return { header, eventCount, footer, validLength: bytes.length, lastSeq, torn: null };
}

function decodeBatchAt(bytes: Uint8Array, offset: number, where: string, header: SegmentHeader, prevSeq: number, verified: VerifiedBytes | null) {
  const h = decodeBatchHeader(bytes, offset, where);
  const end = offset + BATCH_HEADER_BYTES + h.payloadLength;
  if (end > bytes.length) {
    throw new WalError('Corruption', `${where}: batch at offset ${offset} runs ${end - bytes.length} bytes past the end`);
  }
  if (h.shardId !== header.shardId) {
    throw new WalError('Corruption', `${where}: batch at offset ${offset} is for shard ${h.shardId}, segment is shard ${header.shardId}`);
  }
  if (h.firstSeq !== prevSeq + 1) {
    throw new WalError('Corruption', `${where}: batch at offset ${offset} starts at seqno ${h.firstSeq}, expected ${prevSeq + 1}`);
  }
  const { columns, events } = decodeBatchPayload(bytes, offset, h, where, verified);
  return { batch: decodedBatch(offset, h.version, h.firstSeq, h.lastSeq, h.committedAtMs, columns, events), end };
}

/** A DecodedBatch whose `events` (an own, enumerable getter) are made from the columns on first read. */
function decodedBatch(
  offset: number, version: number, firstSeq: number, lastSeq: number, committedAtMs: number, columns: BatchColumns, events: WalEvent[] | null,
): DecodedBatch {
  let made = events;
  return {
    offset, version, firstSeq, lastSeq, committedAtMs, eventCount: columns.count, columns,
    get events(): readonly WalEvent[] {
      made ??= eventsOfColumns(columns, firstSeq);
      return made;
    },
  };
}

/** The footer sits in the last FOOTER_BYTES bytes, nowhere else. */
function isFooterAt(bytes: Uint8Array, offset: number): boolean {
  return offset + FOOTER_BYTES === bytes.length && hasMagic(bytes, offset, FOOTER_MAGIC);
}

/**
 * True when the damaged batch at `offset` is the last thing in the file: no
 * footer ends the file and no intact batch (one whose payload checksum
 * verifies) starts anywhere after `offset`. Only then is it a torn write.
 * The damaged header's own fields (magic, payload length) are not trusted
 * to find what follows: one flipped bit there must not hide the batches
 * after it. The scan runs only on this error path.
 */
function isTail(bytes: Uint8Array, offset: number): boolean {
  const footerAt = bytes.length - FOOTER_BYTES;
  if (footerAt > offset && hasMagic(bytes, footerAt, FOOTER_MAGIC)) return false;
  return !hasIntactBatchFrom(bytes, offset + 1);
}

/** True when an intact batch (magic, and a payload matching its checksum) starts at or after `from`. */
export function hasIntactBatchFrom(bytes: Uint8Array, from: number): boolean {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = all.indexOf(BATCH_MAGIC, from, 'latin1'); at >= 0; at = all.indexOf(BATCH_MAGIC, at + 1, 'latin1')) {
    if (isIntactBatchAt(bytes, at)) return true;
  }
  return false;
}

function isIntactBatchAt(bytes: Uint8Array, offset: number): boolean {
  if (offset + BATCH_HEADER_BYTES > bytes.length) return false;
  const payloadStart = offset + BATCH_HEADER_BYTES;
  const payloadEnd = payloadStart + view(bytes).getUint32(offset + 40, true);
  if (payloadEnd > bytes.length) return false;
  return bytesEqual(blake3Digest(bytes.subarray(payloadStart, payloadEnd)), bytes.subarray(offset + 44, payloadStart));
}
