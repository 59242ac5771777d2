/**
 * How `tidaldb inspect` lists one decoded segment: its batches with their
 * payload sizes, and its header in one line. Pure: a decoded segment in,
 * rows and text out.
 */
import { BATCH_HEADER_BYTES, type DecodedSegment, FOOTER_BYTES, type SegmentHeader } from '../../src/internal.js';
import { isoTime } from './formatTable.js';

/** One batch as listed: where it is and what it holds. */
export interface BatchRow {
  /** Byte offset from the start of the segment (a packed segment's too: the decoder's offsets). */
  readonly offset: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly events: number;
  readonly payloadBytes: number;
  readonly committedAtMs: number;
}

/** Each batch with its payload size, read from where the next structure starts. */
export function batchRows(decoded: DecodedSegment, byteLength: number): BatchRow[] {
  const end = decoded.footer ? byteLength - FOOTER_BYTES : decoded.validLength;
  return decoded.batches.map((b, i) => ({
    offset: b.offset, firstSeq: b.firstSeq, lastSeq: b.lastSeq, events: b.events.length,
    payloadBytes: (decoded.batches[i + 1]?.offset ?? end) - b.offset - BATCH_HEADER_BYTES,
    committedAtMs: b.committedAtMs,
  }));
}

/** `shard 0, segment 3, region "eu", first seqno 41, created …, half-lives default 3600000 ms`. */
export function describeHeader(h: SegmentHeader): string {
  const byType = [...h.halfLives.byType].map(([type, ms]) => `, ${type} ${ms} ms`).join('');
  return `shard ${h.shardId}, segment ${h.segmentId}, region ${JSON.stringify(h.regionId)}, first seqno ${h.firstSeq}, `
    + `created ${isoTime(h.createdAtMs)}, half-lives default ${h.halfLives.defaultMs} ms${byType}`;
}
