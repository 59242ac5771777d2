import type { Checksum } from '../checksum.js';

/**
 * One sealed segment as it is shipped: the unit of replication.
 * `checksum` is the BLAKE3-256 of exactly `bytes`.
 */
export interface WalSegmentPayload {
  readonly shardId: number;
  readonly segmentId: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Leader clock when the segment was sealed, ms since epoch. */
  readonly sealedAtMs: number;
  readonly bytes: Uint8Array;
  readonly checksum: Checksum;
}

/** What the WAL remembers about a sealed segment without holding its bytes. */
export interface SealedSegmentInfo {
  readonly segmentId: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly sealedAtMs: number;
  readonly byteLength: number;
  readonly checksum: Checksum;
  /**
   * The header's meta bytes (region, half-lives, epoch; see headerMetaKey):
   * neighbours merge only when these are equal.
   */
  readonly metaKey: string;
}

/** Index of the first segment in `index` (ascending) holding a seqno after `seq`, or -1. */
export function firstSegmentAfter(index: readonly SealedSegmentInfo[], seq: number): number {
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (index[mid]!.lastSeq > seq) hi = mid;
    else lo = mid + 1;
  }
  return lo < index.length ? lo : -1;
}
