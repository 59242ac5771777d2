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
 * SIGKILLed writer must not need manual cleanup). Processes racing to take
 * over one dead holder's lock go one at a time (`LOCK.takeover`), so only
 * one of them gets it.
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
/** Present only while a process takes over a dead holder's lock: its pid. */
export const LOCK_TAKEOVER_NAME = 'LOCK.takeover';
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
    release = await ownedBy(dir, await lockfile.lock(dir, options));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    release = await takeOver(dir, () => lockfile.lock(dir, options));
  }
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

/**
 * Takes over the lock on `dir` when its holder died on this host without
 * releasing it, or it was copied here with the files; else rejects with
 * `Locked`. One process at a time: each must first create `LOCK.takeover`
 * (exclusively) and judges the owner again while it holds that claim, and
 * the winner records itself as owner before letting go of it. Without the
 * claim, two processes that both saw the dead holder both removed the lock
 * and took it, and both wrote to the directory.
 */
async function takeOver(dir: string, lock: () => Promise<() => Promise<void>>): Promise<() => Promise<void>> {
  if (!canTakeOver(dir, readOwner(dir)) || !claimTakeover(dir)) throw locked(dir, readOwner(dir));
  try {
    const owner = readOwner(dir);
    if (!canTakeOver(dir, owner)) throw locked(dir, owner);
    await fs.promises.rm(path.join(dir, LOCK_NAME), { recursive: true, force: true });
    return await ownedBy(dir, await lock().catch((again: unknown) => {
      throw (again as NodeJS.ErrnoException).code === 'ELOCKED' ? locked(dir, readOwner(dir)) : again;
    }));
  } finally {
    fs.rmSync(path.join(dir, LOCK_TAKEOVER_NAME), { force: true });
  }
}

/** The holder died on this host, or the lock was copied here from another directory. */
function canTakeOver(dir: string, owner: LockOwner | null): boolean {
  if (owner === null) return false;
  return owner.dir !== fs.realpathSync(dir) || (owner.host === os.hostname() && !isAlive(owner.pid));
}

/**
 * Creates `LOCK.takeover` holding this pid; false if another live process
 * holds it. A claim left by a taker that died (its pid gone, or an empty
 * claim older than `LOCK_STALE_MS`) is removed and claimed again.
 */
function claimTakeover(dir: string): boolean {
  const claim = path.join(dir, LOCK_TAKEOVER_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(claim, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const claimer = Number(readOr(claim, ''));
    const ageMs = Date.now() - (fs.statSync(claim, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    const dead = claimer > 0 ? !isAlive(claimer) : ageMs > LOCK_STALE_MS;
    if (!dead) return false;
    fs.rmSync(claim, { force: true });
  }
  return false;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
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

/**
 * Records this process as the holder of the lock just taken, and returns its
 * release; if the record cannot be written (a full or failing disk), lets go
 * of the lock again before rethrowing, so a failed open leaves no lock held.
 */
async function ownedBy(dir: string, release: () => Promise<void>): Promise<() => Promise<void>> {
  try {
    writeOwner(dir);
    return release;
  } catch (err) {
    await release().catch((releaseErr: unknown) => {
      throw new AggregateError([err, releaseErr], `recording the owner of ${dir}'s lock failed, and so did releasing it`);
    });
    throw err;
  }
}

/** Records this process as the holder (called while it holds the lock). */
function writeOwner(dir: string): void {
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), sinceMs: Date.now(), dir: fs.realpathSync(dir) };
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
