/**
 * A shard's `.wal` files as log entries, the way open reads them: each file
 * split into its segments (checkWrittenBytes.ts), each segment checked as
 * sealed, then the end of the log settled as open settles it (recovery
 * rules 8 and 3: a last segment written after a seal whose footer was lost
 * is removed, lostSeal.ts; the last remaining `.wal` segment is the active
 * one). checkWalDir.ts merges these entries with the packed ones and places
 * them.
 */
import { checkSegmentBytes, type SegmentCheck, type SegmentMode } from './checkWalFile.js';
import {
  isOneSegment, segmentLabel, splitWrittenFile, type WrittenFileCheck, type WrittenLayout, type WrittenSegment, writtenFileStatus,
} from './checkWrittenBytes.js';
import { lostSeal } from './lostSeal.js';
import { readWhole } from './readWhole.js';
import type { SegmentFile } from './walFiles.js';

/** One segment of a shard's log, from a `.wal` file or from a pack. */
export interface LogEntry {
  readonly id: number;
  check: SegmentCheck;
  /** Where a packed segment's check goes back: its pack's index and its index in the pack. */
  readonly packed: { readonly pack: number; readonly index: number } | null;
  /** Where a `.wal` segment sits in its file. */
  readonly written: WrittenSegment | null;
  /** Open removes it (rule 8: written after a seal whose footer was lost); it takes no place in the log. */
  dropped: boolean;
}

/** A `.wal` file as split, with its segments' log entries (each decoded as sealed until the log's end is settled). */
export interface WrittenEntries {
  readonly file: SegmentFile;
  readonly byteLength: number;
  readonly layout: WrittenLayout;
  readonly entries: LogEntry[];
}

/** Reads each `.wal` file once (one at a time), splits it as open does and checks each segment as sealed. */
export async function readWrittenFiles(files: readonly SegmentFile[]): Promise<WrittenEntries[]> {
  const written: WrittenEntries[] = [];
  for (const [i, file] of files.entries()) {
    const bytes = await readWhole(file.path);
    const layout = splitWrittenFile(bytes, file.name, file.segmentId, i === files.length - 1);
    const entries = layout.segments.map((s): LogEntry => ({
      id: s.segmentId, check: writtenSegmentCheck(bytes.subarray(s.offset, s.offset + s.length), file, s, 'sealed'),
      packed: null, written: s, dropped: false,
    }));
    written.push({ file, byteLength: bytes.length, layout, entries });
  }
  return written;
}

function writtenSegmentCheck(bytes: Uint8Array, file: SegmentFile, s: WrittenSegment, mode: SegmentMode): SegmentCheck {
  return checkSegmentBytes(bytes, segmentLabel(file.name, s.offset), mode, { shardId: file.shardId, segmentId: s.segmentId }).check;
}

/** A segment's bytes read again (the newest file, normally): only the log's last few segments are needed twice. */
export function writtenBytes(written: readonly WrittenEntries[]): (entry: LogEntry) => Promise<Uint8Array> {
  let cached: { path: string; bytes: Uint8Array } | null = null;
  return async (entry) => {
    const file = written.find((w) => w.entries.includes(entry))!.file;
    if (cached?.path !== file.path) cached = { path: file.path, bytes: await readWhole(file.path) };
    return cached.bytes.subarray(entry.written!.offset, entry.written!.offset + entry.written!.length);
  };
}

/**
 * Recovery rules 8 and 3 at the end of the log (in place): a last segment
 * written after its predecessor lost its footer is what open removes
 * (lostSeal.ts), and the last remaining one, when it is a `.wal` segment, is
 * decoded as active.
 */
export async function settleLogEnd(log: LogEntry[], shardId: number, bytesOf: (entry: LogEntry) => Promise<Uint8Array>): Promise<void> {
  let end = log.length;
  while (end >= 2 && log[end - 1]!.written !== null && log[end - 2]!.written !== null) {
    const last = log[end - 1]!;
    const before = log[end - 2]!;
    const bytes = await bytesOf(last);
    const lost = lostSeal(bytes, await bytesOf(before), before.id, before.check.file);
    if (lost === null) break;
    const check = checkSegmentBytes(bytes, last.check.file, 'active', { shardId, segmentId: last.id }).check;
    last.check = { ...check, status: 'TORN', problem: null, torn: { offset: 0, discardedBytes: bytes.length, reason: lost.reason } };
    last.dropped = true;
    end--;
    if (!lost.empty) break;
  }
  const active = log[end - 1];
  if (active?.written) active.check = checkSegmentBytes(await bytesOf(active), active.check.file, 'active', { shardId, segmentId: active.id }).check;
}

/** A `.wal` file's verdict: one segment filling it is reported as before packing; otherwise segment by segment. */
export function writtenFileCheck(w: WrittenEntries, newest: boolean): SegmentCheck | WrittenFileCheck {
  const entries = [...w.entries].sort((a, b) => a.written!.offset - b.written!.offset);
  if (isOneSegment(w.layout)) return entries[0]!.check;
  return writtenFileStatus({
    kind: 'segments', file: w.file.name, byteLength: w.byteLength, shardId: w.file.shardId, firstSegmentId: w.file.segmentId, newest,
    segments: entries.map((e) => ({ ...e.check, offset: e.written!.offset })), torn: w.layout.torn,
  }, w.layout.tailProblem);
}
