/**
 * TidalDb: items and time-decaying signals over a segmented, checksummed
 * write-ahead log. A leader takes writes; a follower (role 'follower')
 * refuses them and applies segments shipped from a leader.
 *
 * The public API: reads come from DbReads (dbReads.ts); the shared state
 * and guards are in dbCore.ts, writes in writePath.ts, and the
 * replica-facing seam (applying segments, installing checkpoints,
 * promotion) in replicaSide.ts.
 */
import { defer, firstValueFrom, type Observable, of, type Subscription } from 'rxjs';
import { TidalError } from '../errors.js';
import { MetricsState } from '../metrics.js';
import type { DecodedSegment } from '../wal/decodeSegment.js';
import type { Wal } from '../wal/wal.js';
import type { WalSegmentPayload } from '../wal/walSegmentPayload.js';
import type { ApplyResult } from './applySegment.js';
import { DbCore } from './dbCore.js';
import { engineGauges } from './engineGauges.js';
import { DbReads } from './dbReads.js';
import { lockDirectory } from './directoryLock.js';
import { resolveOptions, type TidalDbOptions } from './options.js';
import { type RecoveryReport, recoverDatabase } from './recoverDatabase.js';
import { applySegment$, applySegmentGroup$, type GroupOutcome, installCheckpoint, promote, type VerifiedPayload } from './replicaSide.js';
import { DbReplication, type Replication } from './replicationSource.js';
import { validateItemBatch, validateSignalBatch } from './validateBatch.js';
import { type ItemInput, type SignalInput, validateItem, validateSignal } from './validateWrite.js';
import { WritePath } from './writePath.js';

/**
 * The database: items and time-decaying signals over a segmented, checksummed write-ahead log.
 * Open one with `TidalDb.open(options)` (a leader by default; `FollowerDb.open` for a replica).
 * Writes resolve with their seqno once durable; reads (`retrieve`, `search`, `readDecayScore`) are
 * synchronous over the in-memory state.
 *
 * @example
 * ```ts
 * const db = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
 * await db.signal({ itemId: 'song-1', type: 'view' });
 * db.retrieve({ signal: 'view', limit: 10 }); // [{ id: 'song-1', score: 1 }]
 * await db.close();
 * ```
 */
export class TidalDb extends DbReads {
  readonly metrics = new MetricsState();
  /** The high-water mark after each change: each write on a leader, each applied segment on a follower. */
  readonly applied$: Observable<number>;
  /** Emits once, then completes, when the database closes (at once for a late subscriber: it replays). */
  readonly closed$: Observable<void>;
  /** The write-ahead log: `seal()`, `sealed$`, `sealedSegmentsSince(seq)`. */
  readonly wal: Wal;
  /** What open recovered. */
  readonly recovery: RecoveryReport;
  private readonly writes: WritePath;
  private readonly bytesWatch: Subscription;
  private replicationView: Replication | null = null;

  private constructor(core: DbCore) {
    super(core);
    this.wal = core.wal;
    this.recovery = core.recovery;
    this.applied$ = core.appliedSubject.asObservable();
    this.closed$ = defer(() => (core.closed ? of(undefined) : core.closedSubject.asObservable()));
    this.writes = new WritePath(core);
    this.metrics.addCollector(engineGauges(core));
    const { wal } = core;
    // Retention runs at checkpoints: a writer fast enough to seal half of maxRetainedBytes between two
    // of them gets one more, so the sealed bytes stay under the cap with default options (measured: an
    // in-memory leader writing 5M signals held 145.8 MB against a 64 MiB cap with 60 s checkpoints only,
    // 33.0 MB with this trigger).
    this.bytesWatch = wal.sealed$.subscribe(() => core.checkpointIfBytesDue());
  }

  /** Opens (or creates) a database; with `dir`, recovers it from its checkpoint and WAL. */
  static async open(options: TidalDbOptions = {}): Promise<TidalDb> {
    const opts = resolveOptions(options);
    const lock = opts.dir === null ? null : await lockDirectory(opts.dir);
    let core: DbCore | null = null;
    try {
      const { state, store, wal, recovery } = await recoverDatabase(opts, () => core?.state ?? null);
      core = new DbCore(opts, state, store, wal, recovery, lock);
      return new TidalDb(core);
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  /** What replication pipelines use of this database (tidaldb/streams sees nothing else of the WAL); see replicationSource.ts. */
  get replication(): Replication { return (this.replicationView ??= new DbReplication(this)); }
  /** Records a signal; resolves with its seqno once durable as configured. */
  signal(input: SignalInput): Promise<number> {
    try {
      this.core.checkWritable();
      const event = validateSignal(input, this.core.state.appliedSeq + 1, this.core.opts);
      this.core.counts.signals++;
      return this.writes.write(event);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Creates or replaces an item; resolves with its seqno once durable as configured. */
  writeItem(input: ItemInput): Promise<number> {
    try {
      this.core.checkWritable();
      const item = validateItem(input);
      this.core.counts.items++;
      return this.writes.write({ kind: 'item', seq: this.core.state.appliedSeq + 1, ...item });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Records many signals at once: all or nothing (a bad element fails the
   * whole call with InvalidInput naming its index, and nothing is written),
   * in one WAL batch (split only at the batch or segment limits). Resolves
   * with the last seqno once durable as configured; an empty batch resolves
   * with `lastSeq` and writes nothing.
   */
  signalBatch(inputs: readonly SignalInput[]): Promise<number> {
    return this.writes.settled(firstValueFrom(this.signalBatch$(inputs)));
  }

  /** Cold form of `signalBatch`: synchronous in memory, so it runs in virtual time. */
  signalBatch$(inputs: readonly SignalInput[]): Observable<number> {
    return defer(() => {
      this.core.checkWritable();
      const events = validateSignalBatch(inputs, this.core.state.appliedSeq + 1, this.core.opts);
      this.core.counts.signals += events.length;
      return this.writes.writeAll$(events);
    });
  }

  /** Creates or replaces many items at once: all or nothing, as `signalBatch`. Resolves with the last seqno. */
  writeItemBatch(inputs: readonly ItemInput[]): Promise<number> {
    return this.writes.settled(firstValueFrom(this.writeItemBatch$(inputs)));
  }

  /** Cold form of `writeItemBatch`. */
  writeItemBatch$(inputs: readonly ItemInput[]): Observable<number> {
    return defer(() => {
      this.core.checkWritable();
      const events = validateItemBatch(inputs, this.core.state.appliedSeq + 1);
      this.core.counts.items += events.length;
      return this.writes.writeAll$(events);
    });
  }

  /**
   * Applies a segment shipped from a leader (followers): verifies it,
   * skips it if already applied, refuses a gap, stores it (durably, with a
   * dir) and then applies the events after the high-water mark.
   */
  applySegment(payload: WalSegmentPayload): Promise<ApplyResult> {
    return firstValueFrom(this.applySegment$(payload));
  }

  /**
   * @internal The replication pipeline's form (idempotentReplay, through `db.replication`).
   * Cold form of `applySegment`: synchronous in memory, so it runs in virtual
   * time. `verified` is the decode `verifyPayload` returned for this very
   * payload object (the validateChecksum operator passes it on); anything
   * else is verified again. The bytes are copied before they are checked:
   * a caller changing its buffer later changes nothing here.
   */
  applySegment$(payload: WalSegmentPayload, verified?: DecodedSegment): Observable<ApplyResult> {
    return applySegment$(this.core, payload, verified);
  }

  /**
   * @internal The replication pipeline's group commit (idempotentReplay, through
   * `db.replication`): applies verified segments that arrived together, in
   * order, with one outcome each as `applySegment$` would give it, storing
   * each run that continues one another with one fsync.
   */
  applySegmentGroup$(group: readonly VerifiedPayload[]): Observable<GroupOutcome> {
    return applySegmentGroup$(this.core, group);
  }

  /**
   * Turns this follower into a leader at its high-water mark, in a new
   * epoch (one past the highest it has seen), made durable by a checkpoint
   * before it returns. Segments from older epochs are refused from then on
   * by this node and by every follower that applies a segment of the new
   * one. Stop its SegmentReceiver first. Promote the most up-to-date
   * follower: one that applied more of the old leader's log than the
   * promoted node will refuse the new epoch with `Diverged`.
   * @returns the new epoch
   */
  promote(): Promise<number> {
    return promote(this.core);
  }

  /**
   * Tells retention which segments followers still need: every one holding
   * events after `seq` stays (up to `wal.maxRetainedBytes`) when a checkpoint
   * runs. The WalShipper calls it with the lowest acked seqno of its followers.
   */
  retainFrom(seq: number): void {
    if (typeof seq !== 'number' || !(seq >= 0)) throw new TidalError('InvalidInput', `retainFrom: seq must be a seqno >= 0 or Infinity, got ${String(seq)}`);
    this.core.retainAfterSeq = seq;
  }

  /** The newest checkpoint's bytes and seqno (to bootstrap a follower behind retention), or null. */
  async latestCheckpoint(): Promise<{ seq: number; bytes: Uint8Array } | null> {
    this.core.checkOpen();
    const seqs = await this.core.store.listCheckpoints();
    const seq = seqs[seqs.length - 1];
    return seq === undefined ? null : { seq, bytes: await this.core.store.readCheckpoint(seq) };
  }

  /**
   * Replaces a follower's state with a leader's checkpoint when it is ahead
   * of the follower's high-water mark (a follower too far behind what the
   * leader retains). Verifies it, stores it durably, drops the segments it
   * covers, then swaps the state in. Returns false (changing nothing) when
   * the follower is already at or past it.
   */
  installCheckpoint(bytes: Uint8Array): Promise<boolean> {
    return installCheckpoint(this.core, bytes);
  }

  /** Makes every write so far durable. */
  async flush(): Promise<void> {
    this.core.checkOpen();
    await this.wal.sync();
  }

  /**
   * Writes a checkpoint of the state (atomically: temp, fsync, rename) and
   * returns its seqno; open then replays only what came after. Drops older
   * checkpoints and sealed segments beyond `wal.retainSegments`.
   */
  async checkpoint(): Promise<number> {
    this.core.checkOpen();
    return this.core.writeCheckpoint();
  }

  /** Flushes, checkpoints and releases everything; later calls fail with `Closed`. */
  async close(): Promise<void> {
    const core = this.core;
    if (core.closed) return;
    try {
      if (!this.wal.failed && core.state.halfLives !== null && core.state.appliedSeq > this.recovery.checkpointSeq) await core.writeCheckpoint();
    } finally {
      core.closed = true;
      this.bytesWatch.unsubscribe();
      core.closedSubject.next();
      core.closedSubject.complete();
      core.appliedSubject.complete();
      try {
        await this.wal.close();
      } finally {
        await core.lock?.release();
      }
    }
  }
}
