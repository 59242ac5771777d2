/**
 * What every database serves, leader or follower: reads (scores, retrieve,
 * search, items), the high-water mark and waiting for it, and bounded
 * staleness. TidalDb adds writes and the replica-facing operations.
 */
import { defer, firstValueFrom, type Observable, type SchedulerLike } from 'rxjs';
import { TidalError } from '../errors.js';
import type { Item } from '../items/itemStore.js';
import { checkWaitArgs } from './checkWaitArgs.js';
import { type DbCore, failed } from './dbCore.js';
import type { LeaderStatus } from './freshness.js';
import { checkAt, retrieve, type RetrieveQuery, type Scored, search, type SearchQuery } from './queries.js';
import { waitForSeq$ } from './waitForSeq.js';

export abstract class DbReads {
  protected constructor(protected readonly core: DbCore) {}

  get shardId(): number { return this.core.opts.shardId; }
  get regionId(): string { return this.core.opts.regionId; }
  get dir(): string | null { return this.core.opts.dir; }
  /**
   * Highest seqno written (leader) or applied (follower). After the log
   * failed, where it really ends: never more than was handed to the store.
   */
  get lastSeq(): number { return this.core.failedAhead() ? this.core.wal.writtenSeq : this.core.state.appliedSeq; }
  /** Whether this node is a follower (role 'follower', read-only), not a leader. */
  isFollower(): boolean { return this.core.isFollower(); }
  /** Leadership epoch: the highest this node has seen; promote() starts a new one. */
  get epoch(): number { return this.core.state.epoch; }
  /** The first seqno of `epoch` (1 for epoch 0; the promotion point + 1 after a promotion). */
  get epochStartSeq(): number { return this.core.state.epochStartSeq; }
  /** Whether `close()` has run: reads and writes then refuse with `Closed`. */
  isClosed(): boolean { return this.core.closed; }
  /**
   * Why this database fails closed, or null while it works: a `TidalError`
   * `Failed` once its log failed (a write or fsync) or a checkpoint install
   * ended in a state only a reopen can tell. Until it is reopened, every call
   * but `close()` refuses with this error. A health check or an operator's
   * runbook reads it to know the node needs a restart.
   */
  get failure(): TidalError | null {
    if (this.core.fatal) return this.core.fatal;
    return this.core.wal.failed ? failed(this.core.wal.failed) : null;
  }

  /** The decayed score of (item, type) at `at` (default now): sum of weight * 2^(-(at - t) / halfLife). */
  readDecayScore(itemId: string, type: string, at?: number): number {
    this.core.checkServing();
    checkStringArg('itemId', itemId);
    checkStringArg('type', type);
    return this.core.state.ledger.score(itemId, type, checkAt(at, this.core.opts.clock()));
  }

  /** Items ranked by decayed score of one signal type. */
  retrieve(query: RetrieveQuery): Scored[] {
    this.core.checkReadable(query?.maxStaleMs);
    return retrieve(this.core.state, query, this.core.opts.clock());
  }

  /** Items matching every token of `text`, ranked by BM25 (blended with a signal when given). */
  search(query: SearchQuery): Scored[] {
    this.core.checkReadable(query?.maxStaleMs);
    return search(this.core.state, query, this.core.opts.clock());
  }

  /** The item with `id`, if written. */
  getItem(id: string): Item | undefined {
    this.core.checkServing();
    checkStringArg('id', id);
    return this.core.state.items.get(id);
  }

  /** Resolves once `seq` is applied here; rejects with `Timeout` after `timeoutMs`, or `Closed`. */
  waitFor(seq: number, options: { timeoutMs: number; scheduler?: SchedulerLike }): Promise<number> {
    return firstValueFrom(this.waitFor$(seq, options));
  }

  /** Cold form of `waitFor`; a bad argument is an `InvalidInput` error notification, never a synchronous throw. */
  waitFor$(seq: number, options: { timeoutMs: number; scheduler?: SchedulerLike }): Observable<number> {
    return defer(() => {
      this.core.checkOpen();
      const { timeoutMs, scheduler } = checkWaitArgs(seq, options);
      const core = this.core;
      return waitForSeq$({ appliedSeq: () => core.state.appliedSeq, applied$: core.appliedSubject, closed$: core.closedSubject }, seq, timeoutMs, scheduler);
    });
  }

  /** Records the leader's announced position (followers; the SegmentReceiver calls this). */
  noteLeaderStatus(status: LeaderStatus): void {
    this.core.freshness.noteLeader(status, this.core.state.appliedSeq);
  }

  /** ms this node may be behind its leader (0 on a leader; Infinity on a follower that never caught up). */
  stalenessMs(): number {
    return this.isFollower() ? this.core.freshness.stalenessMs(this.core.opts.clock()) : 0;
  }

  /** The leader seqno this follower last heard of (its own lastSeq on a leader). */
  get knownLeaderSeq(): number {
    return this.isFollower() ? this.core.freshness.leaderSeq : this.core.state.appliedSeq;
  }
}

/** A read's name argument: any string (one never written reads as absent); anything else is InvalidInput. */
function checkStringArg(field: string, value: unknown): void {
  if (typeof value !== 'string') throw new TidalError('InvalidInput', `${field} must be a string, got ${value === null ? 'null' : typeof value}`);
}
