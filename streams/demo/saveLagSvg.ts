/**
 * Writes the lag plot to a file: the demo's one file write. A directory
 * that cannot be written (read-only, missing, full) is not the demo's
 * failure: the outcome says why, the demo prints it and goes on.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export type SavedLagSvg =
  | { readonly written: true; readonly path: string }
  | { readonly written: false; readonly path: string; readonly reason: string };

/**
 * Writes `svg` to `file` (resolved against the working directory).
 *
 * @example
 * const saved = await saveLagSvg('tidaldb-lag.svg', svg);
 * // { written: true, path: '/home/me/tidaldb/tidaldb-lag.svg' }
 * // or { written: false, path: '/ro/tidaldb-lag.svg', reason: "EROFS: read-only file system, open '/ro/tidaldb-lag.svg'" }
 */
export async function saveLagSvg(file: string, svg: string): Promise<SavedLagSvg> {
  const target = path.resolve(file);
  try {
    await writeFile(target, svg, 'utf8');
    return { written: true, path: target };
  } catch (err) {
    return { written: false, path: target, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** The line the demo prints for an outcome. */
export function savedLagSvgLine(saved: SavedLagSvg): string {
  return saved.written
    ? `lag over time (every follower, in events and ms, by stage): ${saved.path}`
    : `lag plot not written (${saved.reason}); the demo goes on without it`;
}
