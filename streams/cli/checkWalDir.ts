/**
 * Checks every segment and checkpoint in a directory as open would, without
 * opening anything for write: each `.wal` file split into its segments as
 * open splits it (checkWrittenBytes.ts: several back to back with
 * `wal.packSegments`), then each shard's segments in log order (segment id
 * order, whether a segment is in a `.wal` file or in a segment pack; all but
 * the last decoded as sealed, the last `.wal` segment as active, every
 * packed one as sealed), every checkpoint, and the placement rules between
 * them (header ids equal to the file name, a segment id held once, no seqno
 * gap after the newest checkpoint, unless a later segment covers the
 * segments after the gap: the inputs a merge cut short by a crash left,
 * which open removes). A last segment written after a seal whose footer was
 * lost is what open removes (lostSeal.ts). A torn append on the newest pack
 * or `.wal` file is what open cuts off; any other damage after a file's
 * last segment is corruption (checkPackBytes.ts, checkWrittenBytes.ts).
 * One file is read at a time (the newest `.wal` file again, for the log's end).
 */
import { checkPackBytes, type PackCheck, type PackedSegmentCheck, withStatus } from './checkPackBytes.js';
import { type CheckpointCheck, checkCheckpointBytes, type FileCheck, type SegmentCheck, type TornWrite } from './checkWalFile.js';
import type { WrittenFileCheck } from './checkWrittenBytes.js';
import { type LogEntry, readWrittenFiles, settleLogEnd, writtenBytes, writtenFileCheck } from './readWrittenFiles.js';
export { MAX_FILE_BYTES, readWhole } from './readWhole.js';
import { readWhole } from './readWhole.js';
import { type CheckpointFile, listWalFiles, type PackFile, type SegmentFile, type WalFile } from './walFiles.js';

/**
 * What the directory check reports for one file: a segment, a `.wal` file
 * holding several (with its segments), a pack (with its segments) or a checkpoint.
 */
export type DirFileCheck = FileCheck | WrittenFileCheck | PackCheck;

export interface DirCheck {
  readonly dir: string;
  /** Every file, in name order. */
  readonly files: readonly DirFileCheck[];
  /** The files that are CORRUPT, in name order. */
  readonly problems: readonly DirFileCheck[];
}

/**
 * Checks the directory; never writes.
 *
 * @throws CliError `Usage` when `dir` is missing or not a directory, `Failure` when a file cannot be read.
 */
export async function checkWalDir(dir: string): Promise<DirCheck> {
  const files = await listWalFiles(dir);
  const checks = new Map<string, DirFileCheck>();
  for (const [shardId, shardFiles] of byShard(files)) {
    for (const c of await checkShard(shardId, shardFiles)) checks.set(c.file, c);
  }
  const ordered = files.map((f) => checks.get(f.name)!);
  return { dir, files: ordered, problems: ordered.filter((c) => c.status === 'CORRUPT') };
}

/**
 * The torn writes open cuts off in a file, each with where it is: a
 * segment's own (a `.wal` file's segments are named `<file> at byte <offset>`),
 * then the torn append at the end of a `.wal` file or pack.
 */
export function tornWrites(f: DirFileCheck): { where: string; torn: TornWrite }[] {
  if (f.kind === 'checkpoint') return [];
  const own = f.torn ? [{ where: f.file, torn: f.torn }] : [];
  if (f.kind !== 'segments') return own;
  return [...f.segments.flatMap((s) => (s.torn ? [{ where: s.file, torn: s.torn }] : [])), ...own];
}

async function checkShard(shardId: number, shardFiles: readonly WalFile[]): Promise<DirFileCheck[]> {
  const checkpointChecks: CheckpointCheck[] = [];
  for (const f of shardFiles.filter((f): f is CheckpointFile => f.kind === 'checkpoint')) {
    checkpointChecks.push(checkCheckpointBytes(await readWhole(f.path), f.name, shardId, f.seq));
  }
  // As open: packs by first segment id; the last is the newest, whose torn tail open cuts.
  const packFiles = shardFiles.filter((f): f is PackFile => f.kind === 'pack').sort((a, b) => a.firstSegmentId - b.firstSegmentId);
  const packs: { check: PackCheck; tailProblem: string | null }[] = [];
  for (const [i, f] of packFiles.entries()) packs.push(checkPackBytes(await readWhole(f.path), f.name, f, i === packFiles.length - 1));
  const written = await readWrittenFiles(shardFiles.filter((f): f is SegmentFile => f.kind === 'segment').sort((a, b) => a.segmentId - b.segmentId));
  const log: LogEntry[] = written.flatMap((w) => w.entries);
  packs.forEach((p, pack) => p.check.segments.forEach((s, index) => log.push({ id: s.segmentId!, check: s, packed: { pack, index }, written: null, dropped: false })));
  log.sort((a, b) => a.id - b.id || (a.packed === null ? -1 : 0) - (b.packed === null ? -1 : 0));
  const kept = withoutDuplicates(log);
  await settleLogEnd(kept, shardId, writtenBytes(written));
  placeLog(kept.filter((e) => !e.dropped), checkpointChecks);
  const walChecks = written.map((w, i) => writtenFileCheck(w, i === written.length - 1));
  const packChecks = packs.map((p, i) => withStatus({
    ...p.check, segments: log.filter((e) => e.packed?.pack === i).sort((a, b) => a.packed!.index - b.packed!.index).map((e) => e.check as PackedSegmentCheck),
  }, p.tailProblem));
  return [...walChecks, ...packChecks, ...checkpointChecks];
}

/**
 * Marks a segment id held a second time (a `.wal` file and a pack, or two
 * packs) CORRUPT, as open refuses it; returns the log without the second copies.
 */
function withoutDuplicates(log: LogEntry[]): LogEntry[] {
  const kept: LogEntry[] = [];
  for (const entry of log) {
    const first = kept.at(-1);
    if (first === undefined || first.id !== entry.id) {
      kept.push(entry);
      continue;
    }
    const firstFile = first.check.file.replace(/ at byte \d+$/, '');
    entry.check = { ...entry.check, status: 'CORRUPT', problem: `${entry.check.file}: segment ${entry.id} is also in ${firstFile}` };
  }
  return kept;
}

/** Recovery rule 4 along the log (in place): each segment starts at most one past the highest seqno before it. */
function placeLog(log: LogEntry[], checkpointChecks: readonly CheckpointCheck[]): void {
  let placement = placementStart(checkpointChecks);
  for (const [i, entry] of log.entries()) {
    if (isCovered(entry.check, placement, log.slice(i + 1).map((e) => e.check))) continue; // not needed: open skips and removes it
    entry.check = checkPlacement(entry.check, placement);
    placement = entry.check.lastSeq === null ? null : Math.max(placement ?? 0, entry.check.lastSeq);
  }
}

function byShard(files: readonly WalFile[]): Map<number, WalFile[]> {
  const shards = new Map<number, WalFile[]>();
  for (const f of files) shards.set(f.shardId, [...(shards.get(f.shardId) ?? []), f]);
  return shards;
}

/** Where the log must continue from before the first segment: the newest checkpoint's seqno (open reads only that one). */
function placementStart(checkpoints: readonly CheckpointCheck[]): number | null {
  const newest = checkpoints[checkpoints.length - 1];
  if (newest === undefined) return 0;
  return newest.status === 'OK' ? newest.seq : null;
}

/**
 * True when `check` starts past a gap but a later intact sealed segment
 * starts in time (at most `prevLastSeq + 1`) and ends at or after it: what
 * a merge cut short by a crash leaves (docs/wal-format.md, "Merging sealed
 * segments").
 */
function isCovered(check: SegmentCheck, prevLastSeq: number | null, later: readonly SegmentCheck[]): boolean {
  if (check.status !== 'OK' || check.state !== 'sealed' || check.firstSeq === null || check.lastSeq === null || prevLastSeq === null) return false;
  if (check.firstSeq <= prevLastSeq + 1) return false;
  return later.some((c) => c.status === 'OK' && c.state === 'sealed' && c.firstSeq !== null && c.firstSeq <= prevLastSeq + 1 && (c.lastSeq ?? 0) >= check.lastSeq!);
}

/**
 * Recovery rule 4: a segment must start at most one past the highest seqno
 * so far. `prevLastSeq` null means unknown (after a file that did not
 * decode): the check is skipped rather than guessed.
 */
function checkPlacement(check: SegmentCheck, prevLastSeq: number | null): SegmentCheck {
  if (check.status === 'CORRUPT' || check.firstSeq === null || prevLastSeq === null || check.firstSeq <= prevLastSeq + 1) return check;
  return {
    ...check, status: 'CORRUPT',
    problem: `${check.file}: starts at seqno ${check.firstSeq} (offset 24) but the log before it ends at ${prevLastSeq}: a segment is missing`,
  };
}
