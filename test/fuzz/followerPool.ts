/**
 * In-memory followers for the apply fuzzers, each on a segment store the
 * test holds (so it can reopen one), kept at a chosen point of the real
 * log: follower `n` has applied the log's first `n` segments.
 *
 * A refused input leaves a follower as it was (that is the property under
 * test, checked on every case), so one follower serves case after case; it
 * is replaced only after it accepted something.
 */
import { TidalDb, type WalSegmentPayload } from '../../src/index.js';
import { MemorySegmentStore } from '../../src/wal/memorySegmentStore.js';
import { assertTypedError } from './typedErrors.js';

export interface PooledFollower {
  readonly db: TidalDb;
  readonly store: MemorySegmentStore;
}

export class FollowerPool {
  private readonly clean = new Map<number, PooledFollower>();
  private readonly opened: TidalDb[] = [];

  constructor(private readonly segments: readonly WalSegmentPayload[]) {}

  /** A follower that has applied the first `n` segments and nothing else. */
  async at(n: number): Promise<PooledFollower> {
    const pooled = this.clean.get(n);
    if (pooled) return pooled;
    const fresh = await this.fresh(n);
    this.clean.set(n, fresh);
    return fresh;
  }

  /**
   * Runs `check` on the follower at `n`. A follower whose check threw is
   * dropped: it may hold a partial apply, and fast-check's shrinking runs
   * the next cases on a clean one.
   */
  async check<T>(n: number, check: (follower: PooledFollower) => Promise<T>): Promise<T> {
    const follower = await this.at(n);
    try {
      return await check(follower);
    } catch (err) {
      if (this.clean.get(n) === follower) this.discard(n);
      throw err;
    }
  }

  /** A new follower at `n`, not pooled. */
  async fresh(n: number): Promise<PooledFollower> {
    const store = new MemorySegmentStore();
    const db = await this.open(store);
    for (const s of this.segments.slice(0, n)) await db.applySegment(copyOf(s));
    return { db, store };
  }

  /** Opens a follower on `store` (a reopen when it holds segments). */
  async open(store: MemorySegmentStore): Promise<TidalDb> {
    const db = await TidalDb.open({ role: 'follower', store });
    this.opened.push(db);
    return db;
  }

  /** Forgets the pooled follower at `n` (it accepted something). */
  discard(n: number): void {
    this.clean.delete(n);
  }

  /** Closes one follower this pool opened; a close may fail, but only with a typed error. */
  async close(db: TidalDb): Promise<void> {
    const i = this.opened.indexOf(db);
    if (i >= 0) this.opened.splice(i, 1);
    if (!db.isClosed()) await db.close().catch((err: unknown) => assertTypedError(err, 'close'));
  }

  async closeAll(): Promise<void> {
    for (const db of [...this.opened]) await this.close(db);
    this.clean.clear();
  }
}

/** A payload with its own copy of the bytes, so no two databases share a buffer. */
export function copyOf(p: WalSegmentPayload): WalSegmentPayload {
  return { ...p, bytes: Uint8Array.from(p.bytes) };
}
