/**
 * Checks one segment pack (`shard-…-seg-….wals`, src/wal/segmentPack.ts)
 * from its bytes, the way open does (src/wal/packFiles.ts): the pack is
 * split by structure, each whole segment in it is decoded and verified as a
 * sealed segment, and what follows the last whole one is judged:
 *
 * - in the newest pack of its shard, a tail with no segment header in it is
 *   a torn append (a crash mid-store, never acknowledged): open cuts it off;
 * - anywhere else, or with a segment header after the tear, it is corruption.
 *
 * Pure: bytes in, a verdict out; reading the file is the caller's job.
 */
import type { DecodedSegment, SegmentHeader } from '../../src/internal.js';
import { hasWholeSegmentFrom, splitPack } from '../../src/internal.js';
import { checkSegmentBytes, type FileStatus, type SegmentCheck, type TornWrite } from './checkWalFile.js';

/** One segment of a pack: its check (its `file` is `<pack> at byte <offset>`, as open names it) and where it sits. */
export interface PackedSegmentCheck extends SegmentCheck {
  /** Byte offset of the segment's header in the pack. */
  readonly offset: number;
}

/** A file holding several segments, checked: a pack (`.wals`), or a `.wal` file a node wrote several segments to. */
export interface MultiSegmentFileCheck {
  readonly file: string;
  readonly byteLength: number;
  readonly shardId: number;
  /** The first segment id, from the file name. */
  readonly firstSegmentId: number;
  /** True when it is its shard's newest file of its kind (the only one whose torn tail open cuts off). */
  readonly newest: boolean;
  /** The segments, in file order; each one's `file` is `<file> at byte <offset>`, as open names it. */
  readonly segments: readonly PackedSegmentCheck[];
  /** CORRUPT when the file or any of its segments is; TORN when open cuts anything off it. */
  readonly status: FileStatus;
  /** The first problem found (CORRUPT), or null. */
  readonly problem: string | null;
  /** What open cuts off the end of the file, or null (for a pack holding no whole segment: the whole file, which open removes). */
  readonly torn: TornWrite | null;
}

export interface PackCheck extends MultiSegmentFileCheck {
  readonly kind: 'pack';
}

/** A packed segment's findings, for a per-batch listing. */
export interface PackedSegmentFindings {
  readonly check: PackedSegmentCheck;
  readonly decoded: DecodedSegment | null;
  readonly header: SegmentHeader | null;
}

/** Why open cuts the tail of a newest pack: the reason printed with the torn write. */
export const TORN_APPEND_REASON = 'an append cut short: no whole sealed segment from here';

/**
 * Splits and verifies a pack.
 *
 * @param named the shard and first segment id in the file name.
 * @param newest whether it is the newest pack of its shard (highest first id).
 */
export function checkPackBytes(
  bytes: Uint8Array, file: string, named: { shardId: number; firstSegmentId: number }, newest: boolean,
): { check: PackCheck; segments: PackedSegmentFindings[]; tailProblem: string | null } {
  const layout = splitPack(bytes);
  const segments = layout.segments.map(({ segmentId, offset, length }): PackedSegmentFindings => {
    const where = `${file} at byte ${offset}`;
    const found = checkSegmentBytes(bytes.subarray(offset, offset + length), where, 'sealed', { shardId: named.shardId, segmentId });
    return { ...found, check: { ...found.check, offset } };
  });
  const tail = tailVerdict(bytes, file, layout.end, newest);
  const check: PackCheck = {
    kind: 'pack', file, byteLength: bytes.length, shardId: named.shardId, firstSegmentId: named.firstSegmentId, newest,
    segments: segments.map((s) => s.check), status: 'OK', problem: null, torn: tail.torn,
  };
  return { check: withStatus(check, tail.problem), segments, tailProblem: tail.problem };
}

/**
 * The pack's status from its segments' and its own problem (`tailProblem`,
 * null if none): a damaged segment comes before the damage after the last
 * whole one in the file, so it is named first.
 */
export function withStatus(check: PackCheck, ownProblem: string | null): PackCheck {
  const segmentProblem = check.segments.find((s) => s.status === 'CORRUPT')?.problem ?? null;
  const problem = segmentProblem ?? ownProblem;
  const status: FileStatus = problem !== null ? 'CORRUPT' : check.torn ? 'TORN' : 'OK';
  return { ...check, status, problem };
}

function tailVerdict(bytes: Uint8Array, file: string, end: number, newest: boolean): { problem: string | null; torn: TornWrite | null } {
  if (end === bytes.length) return { problem: null, torn: null };
  // As packFiles.ts: a whole, verified segment after the tear means more than a torn append.
  if (!newest || hasWholeSegmentFrom(bytes, end + 1)) {
    const why = newest ? 'a whole segment follows it' : 'not the newest pack of its shard, so not a torn append';
    return { problem: `${file}: no whole sealed segment at byte ${end} of ${bytes.length} (${why})`, torn: null };
  }
  return { problem: null, torn: { offset: end, discardedBytes: bytes.length - end, reason: TORN_APPEND_REASON } };
}
