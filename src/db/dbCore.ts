/**
 * What every part of a database shares: its options, the live state, the
 * log and its store, the role, the guards every call passes, and the one
 * checkpoint queue. TidalDb (the public API), writePath.ts (writes) and
 * replicaSide.ts (applying, promoting, installing) work on one DbCore, so
 * the state has a single owner.
 */
import { Subject } from 'rxjs';
import { TidalError } from '../errors.js';
import type { SegmentStore } from '../wal/segmentStore.js';
import type { Wal } from '../wal/wal.js';
import type { ApplyResult } from './applySegment.js';
import { encodeCheckpoint } from './checkpoint.js';
import type { DbState } from './dbState.js';
import type { DirectoryLock } from './directoryLock.js';
import { Freshness } from './freshness.js';
import type { ResolvedOptions } from './options.js';
import type { RecoveryReport } from './recoverDatabase.js';

/** The counters `db.metrics` reports. */
export interface DbCounts {
  signals: number; items: number; segmentsApplied: number; segmentsSkipped: number; eventsSkipped: number;
  checkpoints: number; checkpointsByBytes: number; checkpointFailures: number;
}

export class DbCore {
  readonly appliedSubject = new Subject<number>();
  readonly closedSubject = new Subject<void>();
  readonly freshness = new Freshness();
  closed = false;
  /** An installed checkpoint's seqno whose drop of covered segments has not finished (replicaSide.ts). */
  coveredDropSeq: number | null = null;
  /** Set when this node cannot tell what its disk holds (installing a checkpoint): every call but close() fails with it. */
  fatal: TidalError | null = null;
  /** Applies and checkpoint installs under way: promote() waits for them. */
  readonly inFlight = new Set<Promise<void>>();
  role: 'leader' | 'follower';
  /** Followers still need segments after this seqno (a replication slot); Infinity: none known. */
  retainAfterSeq = Infinity;
  readonly counts: DbCounts = { signals: 0, items: 0, segmentsApplied: 0, segmentsSkipped: 0, eventsSkipped: 0, checkpoints: 0, checkpointsByBytes: 0, checkpointFailures: 0 };
  /** The tail of the checkpoint queue (see writeCheckpoint). */
  private checkpointQueue: Promise<void> = Promise.resolve();
  private bytesCheckpointRunning = false;

  constructor(
    readonly opts: ResolvedOptions,
    public state: DbState,
    readonly store: SegmentStore,
    readonly wal: Wal,
    readonly recovery: RecoveryReport,
    readonly lock: DirectoryLock | null,
  ) {
    this.role = opts.role;
  }

  isFollower(): boolean {
    return this.role === 'follower';
  }

  /** Counts `work` as in flight until it settles (promote() waits for what is in flight). */
  track(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(() => {}, () => {});
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }

  checkOpen(): void {
    if (this.closed) throw new TidalError('Closed', 'the database is closed');
    if (this.fatal) throw this.fatal;
  }

  checkWritable(): void {
    this.checkOpen();
    if (this.isFollower()) throw new TidalError('ReadOnly', `this database is a follower (shard ${this.opts.shardId}): writes go to the leader`);
    if (this.wal.failed) throw failed(this.wal.failed);
    if (this.lock?.compromised) throw this.lock.compromised;
  }

  /**
   * Fail closed: once the log failed on a leader, its in-memory state may
   * hold writes the log does not (they were rejected with Failed). Serving
   * them would be a dirty read that a reopen takes back, so reads refuse too.
   */
  checkServing(): void {
    this.checkOpen();
    if (this.failedAhead()) throw failed(this.wal.failed);
  }

  /** True when the log failed with events applied here that it never took. */
  failedAhead(): boolean {
    return this.wal.failed !== null && this.state.appliedSeq > this.wal.writtenSeq;
  }

  checkReadable(maxStaleMs: unknown): void {
    this.checkServing();
    if (maxStaleMs === undefined) return;
    if (typeof maxStaleMs !== 'number' || !(maxStaleMs >= 0)) throw new TidalError('InvalidInput', `maxStaleMs must be a non-negative number, got ${String(maxStaleMs)}`);
    if (this.isFollower()) this.freshness.check(this.opts.clock(), maxStaleMs, this.state.appliedSeq);
  }

  /** Counts an apply's outcome; on new events, notes the mark for freshness and `applied$`. */
  counted(r: ApplyResult): ApplyResult {
    this.counts.eventsSkipped += r.skippedEvents;
    if (r.appliedEvents === 0) {
      this.counts.segmentsSkipped++;
      return r;
    }
    this.counts.segmentsApplied++;
    this.freshness.noteApplied(this.state.appliedSeq);
    this.appliedSubject.next(this.state.appliedSeq);
    return r;
  }

  /** A checkpoint (and so retention) once the bytes no checkpoint covers pass `wal.checkpointAfterBytes` (half the cap); one at a time. */
  checkpointIfBytesDue(): void {
    if (this.bytesCheckpointRunning || this.closed || this.fatal || this.wal.failed || this.state.halfLives === null) return;
    if (!(this.wal.bytesSinceRetention > this.opts.checkpointAfterBytes)) return;
    this.bytesCheckpointRunning = true;
    this.counts.checkpointsByBytes++;
    void this.writeCheckpoint().catch(() => this.counts.checkpointFailures++).finally(() => (this.bytesCheckpointRunning = false));
  }

  /**
   * Checkpoints run one at a time, in call order: two at one seqno (a
   * periodic one and promote()'s) must land in the order they were taken,
   * or the older epoch's could be the one a restart finds.
   */
  writeCheckpoint(): Promise<number> {
    const run = this.checkpointQueue.then(() => this.writeCheckpointNow());
    this.checkpointQueue = run.then(() => {}, () => {});
    return run;
  }

  private async writeCheckpointNow(): Promise<number> {
    // Capture the state now (every event up to seq is in the WAL once flushed), then make the WAL
    // durable up to seq: a checkpoint must never be ahead of the log it stands for.
    this.wal.flushPending();
    const seq = this.state.appliedSeq;
    const bytes = encodeCheckpoint(this.state, this.opts.shardId, this.opts.regionId, this.wal.nextSegmentId);
    await this.wal.sync();
    await this.store.writeCheckpoint(seq, bytes);
    this.counts.checkpoints++;
    for (const old of await this.store.listCheckpoints()) if (old < seq) await this.store.removeCheckpoint(old);
    await this.wal.applyRetention({
      checkpointSeq: seq, keepSegments: this.opts.retainSegments, maxRetainedBytes: this.opts.maxRetainedBytes, neededAfterSeq: this.retainAfterSeq,
    });
    return seq;
  }
}

/** The error every write and read fails with once the log failed. */
export function failed(err: unknown): TidalError {
  return new TidalError('Failed', `the write-ahead log failed; reopen the database to recover its durable state: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
