/**
 * `tidaldb follower --rebuild`: a replica that is corrupt (or has diverged
 * from a new leader) is rebuilt from its leader. Its directory is moved
 * aside, never deleted, to `DIR.before-rebuild-<time>`; the follower then
 * starts from an empty directory, and the leader sends it what an empty
 * follower gets: its latest checkpoint when it no longer holds every
 * segment from seqno 1 (the checkpoint bootstrap), then the segments after it.
 *
 * And the next step to print when a replica cannot be opened: how to check
 * it, and how to rebuild it.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { FollowerDb, TidalError, type TidalDb, WalError } from '../../src/index.js';
import { CliError, errorMessage, ExitCode, oneLine } from './cliIo.js';

/** Where a rebuild moved the old replica. */
export interface MovedAside {
  readonly from: string;
  readonly to: string;
}

/**
 * Moves `dir` aside so the follower starts empty. Null when there is
 * nothing to move (no directory, or an empty one).
 *
 * @throws CliError `Failure` when another process holds the replica (Locked), or the move fails
 */
export async function moveReplicaAside(dir: string, nowMs = Date.now()): Promise<MovedAside | null> {
  const entries = await fs.readdir(dir).catch(() => null);
  if (entries === null || entries.length === 0) return null;
  await refuseIfInUse(dir);
  const to = asidePath(dir, nowMs);
  try {
    await fs.rename(dir, to);
  } catch (err) {
    throw new CliError(ExitCode.Failure, `follower --rebuild: cannot move ${dir} aside to ${to} (${oneLine(errorMessage(err))}); `
      + 'move or remove its files by hand, then start the follower without --rebuild', { cause: err });
  }
  return { from: dir, to };
}

/** `DIR.before-rebuild-2025-11-25T21-30-01-002Z`, beside DIR (same file system, so the move is a rename). */
export function asidePath(dir: string, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-');
  return `${path.resolve(dir)}.before-rebuild-${stamp}`;
}

/** A replica another process holds is not moved under it; anything else (corrupt, diverged, healthy) may be. */
async function refuseIfInUse(dir: string): Promise<void> {
  let db: TidalDb;
  try {
    db = await FollowerDb.open({ dir });
  } catch (err) {
    if (err instanceof TidalError && err.code === 'Locked') {
      throw new CliError(ExitCode.Failure, `follower --rebuild: ${dir} is in use (${oneLine(err.message)}); stop the follower that holds it first`, { cause: err });
    }
    return;
  }
  await db.close();
}

/**
 * The sentence that follows "cannot open the replica": how to see what is
 * damaged, and how to rebuild it from its leader. Null for errors a
 * rebuild does not help with (a lock, a usage error).
 */
export function replicaNextStep(dir: string, err: unknown): string | null {
  const rebuildable = (err instanceof WalError && (err.code === 'Corruption' || err.code === 'Gap'))
    || (err instanceof TidalError && (err.code === 'Diverged' || err.code === 'ConfigMismatch'));
  if (!rebuildable) return null;
  return `next step: \`tidaldb verify ${dir}\` lists every damaged file; to rebuild this replica from its leader, `
    + `run this command again with --rebuild (it moves ${dir} aside to ${path.basename(path.resolve(dir))}.before-rebuild-<time> and takes the leader's checkpoint)`;
}
