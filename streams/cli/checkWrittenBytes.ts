/**
 * Splits one `.wal` file (a leader's own segments, several back to back
 * with `wal.packSegments`: docs/wal-format.md, "Several segments in one
 * file") the way open does (src/wal/writtenFiles.ts): by structure with
 * splitWritten, the first segment taking the id in the file name and the
 * others the id in their header; what follows the last segment is judged:
 *
 * - in the shard's newest `.wal` file, with no intact batch in it, it is the
 *   torn header of a segment just appended: open cuts it off and reports it;
 * - anywhere else it is corruption: `<file>: no segment at byte X of N`.
 *
 * Pure: bytes in, a layout and a verdict out; decoding each segment is the
 * caller's job (checkWalDir.ts), since its mode depends on the whole log.
 */
import { hasIntactBatchFrom, splitWritten } from '../../src/internal.js';
import type { MultiSegmentFileCheck } from './checkPackBytes.js';
import type { TornWrite } from './checkWalFile.js';

/** Where one segment of a `.wal` file sits, and the id open gives it. */
export interface WrittenSegment {
  readonly segmentId: number;
  readonly offset: number;
  readonly length: number;
}

export interface WrittenLayout {
  /** At least one: a file that does not split (no readable header at byte 0) is one segment, as open reads it. */
  readonly segments: readonly WrittenSegment[];
  /** Bytes after the last segment that open refuses, or null. */
  readonly tailProblem: string | null;
  /** Bytes after the last segment that open cuts off (a torn appended header), or null. */
  readonly torn: TornWrite | null;
}

/** A `.wal` file shown segment by segment: it holds several, or bytes after its last one (the first segment's `file` is just `<file>`). */
export interface WrittenFileCheck extends MultiSegmentFileCheck {
  readonly kind: 'segments';
}

/** Why open cuts the tail of the newest `.wal` file (src/wal/openWal.ts reports the same). */
export const TORN_APPENDED_HEADER_REASON = 'the file ends inside a segment appended to it (an append cut short); nothing in it was acknowledged';

/**
 * Splits a `.wal` file as open does.
 *
 * @param nameId the segment id in the file name (its first segment's id).
 * @param newest whether it is its shard's newest `.wal` file (highest id in the name).
 */
export function splitWrittenFile(bytes: Uint8Array, file: string, nameId: number, newest: boolean): WrittenLayout {
  const layout = splitWritten(bytes);
  if (layout.segments.length === 0) return { segments: [{ segmentId: nameId, offset: 0, length: bytes.length }], tailProblem: null, torn: null };
  const segments = layout.segments.map((s, i) => ({ segmentId: i === 0 ? nameId : s.segmentId, offset: s.offset, length: s.length }));
  if (layout.end === bytes.length) return { segments, tailProblem: null, torn: null };
  if (!newest || hasIntactBatchFrom(bytes, layout.end)) {
    return { segments, tailProblem: `${file}: no segment at byte ${layout.end} of ${bytes.length}`, torn: null };
  }
  return { segments, tailProblem: null, torn: { offset: layout.end, discardedBytes: bytes.length - layout.end, reason: TORN_APPENDED_HEADER_REASON } };
}

/** True when the file is shown as before packing, one segment filling it: nothing to show segment by segment. */
export function isOneSegment(layout: WrittenLayout): boolean {
  return layout.segments.length === 1 && layout.tailProblem === null && layout.torn === null;
}

/** How open names a segment of a `.wal` file in its messages (FileSegmentStore.locate). */
export function segmentLabel(file: string, offset: number): string {
  return offset === 0 ? file : `${file} at byte ${offset}`;
}

/** The file's status from its segments' and its own tail: a damaged segment comes first in the file, so it is named first. */
export function writtenFileStatus(check: Omit<WrittenFileCheck, 'status' | 'problem'>, tailProblem: string | null): WrittenFileCheck {
  const problem = check.segments.find((s) => s.status === 'CORRUPT')?.problem ?? tailProblem;
  const torn = check.torn !== null || check.segments.some((s) => s.status === 'TORN');
  return { ...check, status: problem !== null ? 'CORRUPT' : torn ? 'TORN' : 'OK', problem };
}
