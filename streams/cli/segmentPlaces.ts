/**
 * Where a directory's segments sit, for the one-line summaries of `verify`
 * and `inspect`: one to a `.wal` file (as before `wal.packSegments`),
 * several to a `.wal` file, or in a follower's packs. Pure.
 */
import type { DirFileCheck } from './checkWalDir.js';
import type { SegmentCheck } from './checkWalFile.js';
import { count, plural } from './formatTable.js';

/** Every segment a file holds: itself, or those of a `.wal` file holding several or of a pack. */
export function segmentsOf(f: DirFileCheck): readonly SegmentCheck[] {
  if (f.kind === 'checkpoint') return [];
  return f.kind === 'segment' ? [f] : f.segments;
}

/**
 * Where the segments sit, when not one to a `.wal` file: `8 in 4 .wal files`
 * (only when a `.wal` file holds several), `4 in 2 packs`.
 */
export function segmentPlaces(files: readonly DirFileCheck[]): string[] {
  const wal = files.filter((f) => f.kind === 'segment' || f.kind === 'segments');
  const packs = files.filter((f) => f.kind === 'pack');
  const inWal = wal.some((f) => f.kind === 'segments') ? `${count(wal.flatMap(segmentsOf).length)} in ${plural(wal.length, '.wal file')}` : '';
  const inPacks = packs.length > 0 ? `${count(packs.flatMap(segmentsOf).length)} in ${plural(packs.length, 'pack')}` : '';
  return [inWal, inPacks].filter((s) => s !== '');
}

