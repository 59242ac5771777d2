import type { TidalDbOptions } from './options.js';
import { TidalError } from '../errors.js';
import { TidalDb } from './tidalDb.js';

/**
 * A read-only replica: a TidalDb opened with role 'follower'. `signal()` and
 * `writeItem()` fail with `ReadOnly`; `retrieve`, `search` and
 * `readDecayScore` serve what has been replayed; `waitFor(seqno)` gives
 * read-your-writes across nodes. With a `dir` it persists every segment it
 * applies, so a restarted follower resumes from its own high-water mark.
 *
 * @example
 * const replica = await FollowerDb.open({ dir: '/var/lib/replica' });
 * startFollower({ db: replica, transport, peer: 'replica-1' });
 */
export type FollowerDb = TidalDb;

/** Opens a follower: `FollowerDb.open(opts)` is `TidalDb.open({ ...opts, role: 'follower' })`. */
export const FollowerDb = {
  /** Same as `TidalDb.open({ ...options, role: 'follower' })`. */
  open(options: Omit<TidalDbOptions, 'role'> = {}): Promise<FollowerDb> {
    if (typeof options !== 'object' || options === null) return Promise.reject(new TidalError('InvalidInput', `options must be an object, got ${options === null ? 'null' : typeof options}`));
    return TidalDb.open({ ...options, role: 'follower' });
  },
};
