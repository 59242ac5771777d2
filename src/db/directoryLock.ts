/**
 * One owner per directory: `TidalDb.open({ dir })` holds an exclusive lock
 * on it until `close()`. Two writers on one WAL would interleave segments
 * and rename each other's checkpoints (seen: two followers on one --dir
 * failed with ENOENT on a .checkpoint.tmp); with a leader it is silent
 * corruption.
 *
 * proper-lockfile does the locking (an atomic mkdir of `<dir>/LOCK`, whose
 * mtime the holder refreshes, so a lock whose holder vanished goes stale).
 * Beside it, `<dir>/LOCK.owner` records who holds it (pid, host, since), to
 * name the holder in the error and to take over at once, without waiting
 * for staleness, a lock whose holder is a dead process on this host (a
 * SIGKILLed writer must not need manual cleanup).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import lockfile from 'proper-lockfile';
import { TidalError } from '../errors.js';

/** The lock, a directory proper-lockfile creates and removes. */
export const LOCK_NAME = 'LOCK';
/** Who holds it: JSON { pid, host, sinceMs }. */
export const LOCK_OWNER_NAME = 'LOCK.owner';
/**
 * 10 s: a lock whose mtime is older is stale (its holder stopped refreshing
 * it, every `LOCK_UPDATE_MS`); for a holder on another host, that is the
 * only way to tell it is gone.
 */
const LOCK_STALE_MS = 10_000;
const LOCK_UPDATE_MS = 2_000;

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly sinceMs: number;
  /** The locked directory's real path: a lock copied along with the files (a backup, a crash copy) does not hold the copy. */
  readonly dir: string;
}

/** A held directory lock. */
export interface DirectoryLock {
  /** Set if the lock was lost while held (its directory removed or taken over): writes must stop. */
  readonly compromised: Error | null;
  release(): Promise<void>;
}

/** Takes the lock on `dir` (creating `dir`), or rejects with `TidalError` `Locked` naming the holder. */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  await fs.promises.mkdir(dir, { recursive: true });
  let compromised: Error | null = null;
  const options = {
    lockfilePath: path.join(dir, LOCK_NAME), realpath: false, stale: LOCK_STALE_MS, update: LOCK_UPDATE_MS, retries: 0,
    onCompromised: (err: Error) => {
      compromised = new TidalError('Locked', `lost the lock on ${dir}: ${err.message}`, { cause: err });
    },
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    const owner = readOwner(dir);
    const copied = owner !== null && owner.dir !== fs.realpathSync(dir);
    if (!copied && (owner === null || owner.host !== os.hostname() || isAlive(owner.pid))) throw locked(dir, owner);
    // Its holder died on this host without releasing it, or it was copied here with the files: take it over now.
    await fs.promises.rm(options.lockfilePath, { recursive: true, force: true });
    release = await lockfile.lock(dir, options).catch((again: unknown) => {
      throw (again as NodeJS.ErrnoException).code === 'ELOCKED' ? locked(dir, readOwner(dir)) : again;
    });
  }
  writeOwner(dir, { pid: process.pid, host: os.hostname(), sinceMs: Date.now(), dir: fs.realpathSync(dir) });
  return {
    get compromised() {
      return compromised;
    },
    release: async () => {
      await fs.promises.rm(path.join(dir, LOCK_OWNER_NAME), { force: true });
      if (compromised === null) await release();
    },
  };
}

function locked(dir: string, owner: LockOwner | null): TidalError {
  const holder = owner === null
    ? 'another process (its owner record is missing)'
    : `pid ${owner.pid} on host ${owner.host} since ${new Date(owner.sinceMs).toISOString()}`;
  return new TidalError('Locked', `${dir} is locked by ${holder}: one database per directory; close the other one first (a holder that died on this host is taken over automatically, one on another host once its lock is ${LOCK_STALE_MS / 1000} s stale)`);
}

function readOwner(dir: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(dir, LOCK_OWNER_NAME), 'utf8')) as Partial<LockOwner>;
    if (Number.isSafeInteger(o.pid) && typeof o.host === 'string' && typeof o.sinceMs === 'number' && typeof o.dir === 'string') return o as LockOwner;
  } catch {
    // missing or unreadable: no owner known
  }
  return null;
}

function writeOwner(dir: string, owner: LockOwner): void {
  const file = path.join(dir, LOCK_OWNER_NAME);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(owner));
  fs.renameSync(`${file}.tmp`, file);
}

/** True when a process with `pid` exists (EPERM: it exists, owned by someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
