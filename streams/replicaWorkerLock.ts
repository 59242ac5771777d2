/**
 * The directory lock a crashed replica worker leaves behind.
 *
 * A FollowerDb with a `dir` holds the directory's lock (src/db/directoryLock.ts:
 * a `LOCK` directory whose mtime its holder refreshes, and `LOCK.owner`
 * naming the holder's pid). A worker thread that dies without closing its
 * database leaves both, with this process's pid, which is alive: a restart
 * would be refused with `Locked` until the lock went stale (10 s without a
 * refresh). The handle that started the worker saw it open the database
 * and saw the thread exit, so it knows the holder is gone and removes the
 * lock at once, as directoryLock does for a dead process on this host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Names fixed by src/db/directoryLock.ts (LOCK_NAME, LOCK_OWNER_NAME). */
const LOCK_NAME = 'LOCK';
const LOCK_OWNER_NAME = 'LOCK.owner';

/**
 * Removes `dir`'s lock if this process holds it by its owner record: call
 * it only once the thread that took it has exited. Returns true if it did.
 */
export async function releaseAbandonedLock(dir: string): Promise<boolean> {
  let owner: { pid?: unknown };
  try {
    owner = JSON.parse(await fs.promises.readFile(path.join(dir, LOCK_OWNER_NAME), 'utf8')) as { pid?: unknown };
  } catch {
    return false; // no owner record: released already, or never taken
  }
  if (owner.pid !== process.pid) return false;
  await fs.promises.rm(path.join(dir, LOCK_OWNER_NAME), { force: true });
  await fs.promises.rm(path.join(dir, LOCK_NAME), { recursive: true, force: true });
  return true;
}
