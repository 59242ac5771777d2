/**
 * Merging sealed segments (pure: bytes in, bytes out). Batches are
 * self-contained (each carries its seqnos and its payload's BLAKE3), so a
 * merged segment is the first input's header with the last input's segment
 * id, every input's batches copied byte for byte, and a new footer:
 *
 *   inputs  : [H1 b1 b2 F1] [H2 b3 F2] [H3 b4 b5 F3]
 *   merged  : [H1' b1 b2 b3 b4 b5 F']   H1' = H1 with segment id 3
 *
 * The merged segment takes the *last* input's id: a follower that stores
 * any input already holds every event up to the last input's last seqno
 * unless it lacks the last input itself, so a merge carrying events it
 * lacks always has an id past the last segment it stores. For one id the
 * last seqno and sealed-at time never change, however often it is merged.
 */
import { Checksum, createHasher } from '../checksum.js';
import { assert } from '../errors.js';
import { BATCH_HEADER_BYTES, decodeBatchHeader } from './batch.js';
import { decodeSegmentFooter, encodeSegmentFooter, FOOTER_BYTES, type SegmentFooter } from './segmentFooter.js';
import { decodeSegmentHeader, headerMetaKey, type SegmentHeader } from './segmentHeader.js';
import type { SealedSegmentInfo } from './walSegmentPayload.js';

export interface MergedSegment {
  readonly bytes: Uint8Array;
  readonly info: SealedSegmentInfo;
}

interface Part {
  readonly header: SegmentHeader;
  readonly headerLength: number;
  readonly footer: SegmentFooter;
  readonly bytes: Uint8Array;
}

/**
 * Merges sealed segments (oldest first, each continuing the previous one,
 * all with the same shard and meta) into one. The inputs must be verified
 * sealed segments; anything else is a broken invariant (assert).
 */
export function mergeSegments(inputs: readonly Uint8Array[]): MergedSegment {
  assert(inputs.length >= 2, `a merge needs at least two segments, got ${inputs.length}`);
  const parts = inputs.map(part);
  checkRun(parts);
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const header = Uint8Array.from(first.bytes.subarray(0, first.headerLength));
  new DataView(header.buffer).setBigUint64(16, BigInt(last.header.segmentId), true);
  const bodies = parts.map((p) => p.bytes.subarray(p.headerLength, p.bytes.length - FOOTER_BYTES));
  const eventCount = parts.reduce((n, p) => n + p.footer.eventCount, 0);
  assert(eventCount <= 0xffff_ffff, `a merged segment would hold ${eventCount} events, more than a u32 footer field`);
  const footerFields = { eventCount, lastSeq: last.footer.lastSeq, sealedAtMs: last.footer.sealedAtMs };
  const prefix = createHasher().update(header);
  for (const body of bodies) prefix.update(body);
  const bytes = Buffer.concat([header, ...bodies, encodeSegmentFooter(footerFields, prefix)]);
  checkBatches(bytes, first.headerLength, first.header.firstSeq, footerFields.lastSeq);
  return {
    bytes,
    info: {
      segmentId: last.header.segmentId, firstSeq: first.header.firstSeq, lastSeq: footerFields.lastSeq,
      sealedAtMs: footerFields.sealedAtMs, byteLength: bytes.length, checksum: Checksum.of(bytes), metaKey: headerMetaKey(bytes),
    },
  };
}

function part(bytes: Uint8Array, i: number): Part {
  const where = `merge input ${i}`;
  const { header, length } = decodeSegmentHeader(bytes, where);
  const footer = decodeSegmentFooter(bytes, bytes.length - FOOTER_BYTES, where);
  return { header, headerLength: length, footer, bytes };
}

function checkRun(parts: readonly Part[]): void {
  const key = headerMetaKey(parts[0]!.bytes);
  for (let i = 1; i < parts.length; i++) {
    const prev = parts[i - 1]!;
    const p = parts[i]!;
    assert(p.header.shardId === prev.header.shardId, `merge input ${i} is shard ${p.header.shardId}, input ${i - 1} shard ${prev.header.shardId}`);
    assert(p.header.segmentId > prev.header.segmentId, `merge input ${i} has segment id ${p.header.segmentId}, not past input ${i - 1}'s ${prev.header.segmentId}`);
    assert(p.header.firstSeq === prev.footer.lastSeq + 1, `merge input ${i} starts at seqno ${p.header.firstSeq}, input ${i - 1} ends at ${prev.footer.lastSeq}`);
    assert(headerMetaKey(p.bytes) === key, `merge input ${i} has other header meta (region, half-lives or epoch) than input 0`);
  }
}

/**
 * Checked right before the merged bytes are written: the batch headers,
 * walked from the end of the segment header to the footer, hold exactly
 * firstSeq..lastSeq in order (payload checksums were checked when the
 * inputs were sealed or read back, and the footer hash covers them now).
 */
function checkBatches(bytes: Uint8Array, from: number, firstSeq: number, lastSeq: number): void {
  const end = bytes.length - FOOTER_BYTES;
  let next = firstSeq;
  let offset = from;
  while (offset < end) {
    const h = decodeBatchHeader(bytes, offset, 'merged segment');
    assert(h.firstSeq === next && h.lastSeq >= h.firstSeq, `merged segment: batch at offset ${offset} holds seqnos ${h.firstSeq}..${h.lastSeq}, expected to start at ${next}`);
    next = h.lastSeq + 1;
    offset += BATCH_HEADER_BYTES + h.payloadLength;
  }
  assert(offset === end && next === lastSeq + 1, `merged segment: batches end at offset ${offset} with seqno ${next - 1}, footer at ${end} says ${lastSeq}`);
}
