/**
 * Checks every segment and checkpoint in a directory as open would, without
 * opening anything for write: each shard's segments in log order (all but
 * the last decoded as sealed, the last as active), every checkpoint, and the
 * placement rules between them (header ids equal to the file name, no seqno
 * gap after the newest checkpoint, unless a later segment covers the
 * segments after the gap: the inputs a merge cut short by a crash left,
 * which open removes). One file is read at a time.
 */
import * as fs from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import { type CheckpointCheck, checkCheckpointBytes, checkSegmentBytes, type FileCheck, type SegmentCheck, type SegmentMode } from './checkWalFile.js';
import { CliError, ExitCode } from './cliIo.js';
import { type CheckpointFile, listWalFiles, type SegmentFile, type WalFile } from './walFiles.js';

/**
 * Largest file read whole: Node's Buffer limit (4 GiB on 64-bit). A
 * segment is at most `wal.maxSegmentBytes` (≤ 2 GiB) plus one batch.
 */
export const MAX_FILE_BYTES = bufferConstants.MAX_LENGTH;

export interface DirCheck {
  readonly dir: string;
  /** Every file, in name order. */
  readonly files: readonly FileCheck[];
  /** The files that are CORRUPT, in name order. */
  readonly problems: readonly FileCheck[];
}

/**
 * Checks the directory; never writes.
 *
 * @throws CliError `Usage` when `dir` is missing or not a directory, `Failure` when a file cannot be read.
 */
export async function checkWalDir(dir: string): Promise<DirCheck> {
  const files = await listWalFiles(dir);
  const checks = new Map<string, FileCheck>();
  for (const [shardId, shardFiles] of byShard(files)) {
    const checkpoints = shardFiles.filter((f): f is CheckpointFile => f.kind === 'checkpoint');
    const segments = shardFiles.filter((f): f is SegmentFile => f.kind === 'segment');
    const checkpointChecks: CheckpointCheck[] = [];
    for (const f of checkpoints) checkpointChecks.push(checkCheckpointBytes(await readWhole(f.path), f.name, shardId, f.seq));
    const segmentChecks: SegmentCheck[] = [];
    for (const [i, f] of segments.entries()) {
      const mode: SegmentMode = i === segments.length - 1 ? 'active' : 'sealed';
      segmentChecks.push(checkSegmentBytes(await readWhole(f.path), f.name, mode, f).check);
    }
    let placement = placementStart(checkpointChecks);
    for (const [i, check] of segmentChecks.entries()) {
      if (isCovered(check, placement, segmentChecks.slice(i + 1))) {
        checks.set(check.file, check); // not needed: open skips and removes it
        continue;
      }
      const placed = checkPlacement(check, placement);
      checks.set(check.file, placed);
      placement = placed.lastSeq === null ? null : Math.max(placement ?? 0, placed.lastSeq);
    }
    for (const c of checkpointChecks) checks.set(c.file, c);
  }
  const ordered = files.map((f) => checks.get(f.name)!);
  return { dir, files: ordered, problems: ordered.filter((c) => c.status === 'CORRUPT') };
}

/** Reads a whole file (read-only), refusing one past {@link MAX_FILE_BYTES}. */
export async function readWhole(file: string): Promise<Uint8Array> {
  try {
    const { size } = await fs.stat(file);
    if (size > MAX_FILE_BYTES) throw new CliError(ExitCode.Failure, `${file}: ${size} bytes, more than the ${MAX_FILE_BYTES} bytes a file can be read in one piece`);
    return await fs.readFile(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(ExitCode.Failure, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
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
