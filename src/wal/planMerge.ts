/**
 * Which sealed segments to merge next, from their sizes alone (pure). The
 * rule and the bound it gives are in docs/wal-format.md ("Merging sealed
 * segments"); in short:
 *
 * - the newest `minAgeSegments` sealed segments are never merged;
 * - a segment of at least `targetBytes / fanIn` bytes is *closed*: it is
 *   never merged again, except while it is the newest candidate;
 * - the *zone* is the newest candidate (any size) and the run of open
 *   segments before it that continue one another (seqnos contiguous, same
 *   header meta);
 * - the oldest segment of the zone that the zone's newer segments outweigh
 *   `fanIn − 1` times over is merged with every newer segment of the zone.
 *
 * For equal sizes that is a `fanIn`-way merge tree. For any sizes, the zone
 * keeps at most 2 + log_q(targetBytes / smallest) segments, q = fanIn /
 * (fanIn − 1), and a merge writes less than targetBytes plus its newest
 * input.
 *
 * @example
 * planMerge(sizes([1000, 1000, 1000, 1000]), { targetBytes: 1 << 20, fanIn: 4, minAgeSegments: 0 });
 * // → { start: 0, end: 4 }: the three newer ones (3000 bytes) reach 3 × the oldest
 */
import { MIN_SEALED_SEGMENT_BYTES, WAL_MERGE_FAN_IN, WAL_MERGE_MIN_AGE_SEGMENTS } from '../limits.js';

/** What the plan reads of a sealed segment. */
export interface MergeCandidate {
  readonly byteLength: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly metaKey: string;
  /** In a segment pack (segmentPack.ts): never merged, a wall between its neighbours. */
  readonly packed?: boolean;
}

export interface MergePolicy {
  /** Bytes, normally `wal.maxSegmentBytes`: segments of targetBytes / fanIn or more are closed. */
  readonly targetBytes: number;
  /** Segments of equal size merged at once, >= 2. */
  readonly fanIn: number;
  /** The newest this many sealed segments are never merged. */
  readonly minAgeSegments: number;
}

/** A run of segments to merge: indexes `start` (inclusive) to `end` (exclusive), at least two. */
export interface MergeRun {
  readonly start: number;
  readonly end: number;
}

/** The default policy for segments of `maxSegmentBytes`. */
export function defaultMergePolicy(maxSegmentBytes: number): MergePolicy {
  return { targetBytes: maxSegmentBytes, fanIn: WAL_MERGE_FAN_IN, minAgeSegments: WAL_MERGE_MIN_AGE_SEGMENTS };
}

/** The next run to merge in `segments` (oldest first), or null when the rule holds everywhere. */
export function planMerge(segments: readonly MergeCandidate[], policy: MergePolicy): MergeRun | null {
  const newest = segments.length - 1 - policy.minAgeSegments;
  if (newest < 1) return null;
  let start = newest;
  while (start > 0 && continues(segments[start - 1]!, segments[start]!) && !isClosed(segments[start - 1]!, policy)) start--;
  let after = 0;
  for (let i = start + 1; i <= newest; i++) after += segments[i]!.byteLength;
  for (let j = start; j < newest; j++) {
    if ((policy.fanIn - 1) * segments[j]!.byteLength <= after) return { start: j, end: newest + 1 };
    after -= segments[j + 1]!.byteLength;
  }
  return null;
}

/** True when `s` is at least targetBytes / fanIn: never merged again once older segments follow it. */
export function isClosed(s: MergeCandidate, policy: MergePolicy): boolean {
  return s.byteLength * policy.fanIn >= policy.targetBytes;
}

/** True when `b` takes up where `a` ends, written under the same meta: the two can be one segment. */
export function continues(a: MergeCandidate, b: MergeCandidate): boolean {
  return b.firstSeq === a.lastSeq + 1 && a.metaKey === b.metaKey && a.packed !== true && b.packed !== true;
}

/**
 * The bound on a directory's segment files once the merges queued have run
 * (docs/wal-format.md): the active segment, the newest `minAgeSegments`,
 * the zone, and the segments older than the zone: closed ones (each at
 * least targetBytes / fanIn, so fewer than fanIn × retainedBytes /
 * targetBytes + 1 of them) and one in front of each of `walls` (a change
 * of epoch or region, or a seqno gap a checkpoint covers, between two
 * neighbours).
 *
 * @param retainedBytes bytes of the sealed segments held
 */
export function walFileBound(policy: MergePolicy, retainedBytes: number, walls = 0): number {
  return 1 + policy.minAgeSegments + zoneBound(policy) + Math.floor((policy.fanIn * retainedBytes) / policy.targetBytes) + walls;
}

/** Most segments the zone can hold: 2 + floor(log_q(targetBytes / MIN_SEALED_SEGMENT_BYTES)), q = fanIn / (fanIn − 1). */
export function zoneBound(policy: MergePolicy): number {
  const q = policy.fanIn / (policy.fanIn - 1);
  return 2 + Math.floor(Math.log(policy.targetBytes / MIN_SEALED_SEGMENT_BYTES) / Math.log(q));
}
