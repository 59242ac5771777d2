/**
 * TidalDb: items and time-decaying signals over a segmented, checksummed
 * write-ahead log. A leader takes writes; a follower (role 'follower')
 * refuses them and applies segments shipped from a leader.
 */
import {
  defer, firstValueFrom, from, lastValueFrom, map, mergeMap, type Observable, of, ReplaySubject, type SchedulerLike, Subject, type Subscription,
} from 'rxjs';
import { TidalError, WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import { MetricsState } from '../metrics.js';
import type { DecodedSegment } from '../wal/decodeSegment.js';
import type { SegmentStore } from '../wal/segmentStore.js';
import type { Wal } from '../wal/wal.js';
import type { WalSegmentPayload } from '../wal/walSegmentPayload.js';
import { encodeCheckpoint } from './checkpoint.js';
import { dropCoveredByCheckpoint, storeShippedCheckpoint, verifyShippedCheckpoint } from './installCheckpoint.js';
import { type RecoveryReport, recoverDatabase } from './recoverDatabase.js';
import { type ApplyResult, applyDecodedSegment, checkEpoch, checkNoGap, checkSegmentIdAfter } from './applySegment.js';
import { applyWalEvent, DbState } from './dbState.js';
import { Freshness, type LeaderStatus } from './freshness.js';
import { waitForSeq$ } from './waitForSeq.js';
import { resolveOptions, type ResolvedOptions, type TidalDbOptions } from './options.js';
import { retrieve, type RetrieveQuery, type Scored, search, type SearchQuery, checkAt } from './queries.js';
import { type ItemInput, type SignalInput, validateItem, validateSignal } from './validateWrite.js';
import { validateItemBatch, validateSignalBatch } from './validateBatch.js';
import type { Item } from '../items/itemStore.js';
import { defaultHalfLives } from '../ledger/halfLives.js';
import { MAX_EPOCH_HISTORY, WRITE_TURN_BUDGET_MS } from '../limits.js';
import { EventLoopTurns } from './eventLoopTurns.js';
import { ownedPayload, verifyPayload, wasVerified } from '../wal/verifyPayload.js';
import { checkWaitArgs } from './checkWaitArgs.js';
import { type DirectoryLock, lockDirectory } from './directoryLock.js';
import { DbReplication, type Replication } from './replicationSource.js';


export class TidalDb {
  readonly metrics = new MetricsState();
  private readonly appliedSubject = new Subject<number>();
  private readonly closedSubject = new Subject<void>();
  /** The high-water mark after each change: each write on a leader, each applied segment on a follower. */
  readonly applied$: Observable<number> = this.appliedSubject.asObservable();
  /** Emits once, then completes, when the database closes (at once for a late subscriber: it replays). */
  readonly closed$: Observable<void> = defer(() => (this.closed ? of(undefined) : this.closedSubject.asObservable()));
  private readonly freshness = new Freshness();
  private closed = false;
  /** Yields a tight loop of awaited in-memory writes to the event loop now and then. */
  private readonly turns = new EventLoopTurns(WRITE_TURN_BUDGET_MS);
  /** An installed checkpoint's seqno whose drop of covered segments has not finished (see installCheckpoint). */
  private coveredDropSeq: number | null = null;
  /** Set when this node cannot tell what its disk holds (see installCheckpoint): every call but close() fails with it. */
  private fatal: TidalError | null = null;
  /** Applies and checkpoint installs under way (see runToCompletion): promote() waits for them. */
  private readonly inFlight = new Set<Promise<void>>();
  /** The tail of the checkpoint queue (see writeCheckpoint). */
  private checkpointQueue: Promise<void> = Promise.resolve();
  private role: 'leader' | 'follower';
  /** Followers still need segments after this seqno (a replication slot); Infinity: none known. */
  private retainAfterSeq = Infinity;
  private counts = { signals: 0, items: 0, segmentsApplied: 0, segmentsSkipped: 0, eventsSkipped: 0, checkpoints: 0, checkpointsByBytes: 0, checkpointFailures: 0 };
  private bytesCheckpointRunning = false;
  private readonly bytesWatch: Subscription;

  private constructor(
    private readonly opts: ResolvedOptions,
    private state: DbState,
    private readonly store: SegmentStore,
    /** The write-ahead log: `seal()`, `sealed$`, `sealedSegmentsSince(seq)`. */
    readonly wal: Wal,
    /** What open recovered. */
    readonly recovery: RecoveryReport,
    /** The directory's lock, held until close(); null without a dir. */
    private readonly lock: DirectoryLock | null,
  ) {
    this.role = opts.role;
    this.metrics.addCollector(() => ({
      lastSeq: this.state.appliedSeq,
      'writes.signals': this.counts.signals,
      'writes.items': this.counts.items,
      'wal.sealedSegments': this.wal.sealedSegments.length,
      'wal.activeBytes': this.wal.activeBytes,
      'replay.segmentsApplied': this.counts.segmentsApplied,
      'replay.segmentsSkipped': this.counts.segmentsSkipped,
      'replay.eventsSkipped': this.counts.eventsSkipped,
      'recovery.tornTails': this.recovery.tornTail ? 1 : 0,
      'checkpoints.written': this.counts.checkpoints,
      'checkpoints.byBytes': this.counts.checkpointsByBytes,
      'checkpoints.failures': this.counts.checkpointFailures,
      'wal.sealedBytes': this.wal.sealedBytes,
      'wal.merges': this.wal.merges.merges,
      'wal.mergeFailures': this.wal.merges.failures,
    }));
    // Retention runs at checkpoints: a writer fast enough to seal half of maxRetainedBytes between two
    // of them gets one more, so the sealed bytes stay under the cap with default options (measured: an
    // in-memory leader writing 5M signals held 145.8 MB against a 64 MiB cap with 60 s checkpoints only,
    // 33.0 MB with this trigger).
    this.bytesWatch = this.wal.sealed$.subscribe(() => this.checkpointIfBytesDue());
  }

  /** A checkpoint (and so retention) once the bytes no checkpoint covers pass `wal.checkpointAfterBytes` (half the cap); one at a time. */
  private checkpointIfBytesDue(): void {
    if (this.bytesCheckpointRunning || this.closed || this.fatal || this.wal.failed || this.state.halfLives === null) return;
    if (!(this.wal.bytesSinceRetention > this.opts.checkpointAfterBytes)) return;
    this.bytesCheckpointRunning = true;
    this.counts.checkpointsByBytes++;
    void this.writeCheckpoint().catch(() => this.counts.checkpointFailures++).finally(() => (this.bytesCheckpointRunning = false));
  }

  /** Opens (or creates) a database; with `dir`, recovers it from its checkpoint and WAL. */
  static async open(options: TidalDbOptions = {}): Promise<TidalDb> {
    const opts = resolveOptions(options);
    const lock = opts.dir === null ? null : await lockDirectory(opts.dir);
    let db: TidalDb | null = null;
    try {
      const { state, store, wal, recovery } = await recoverDatabase(opts, () => db?.state ?? null);
      db = new TidalDb(opts, state, store, wal, recovery, lock);
      return db;
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  /** What replication pipelines use of this database (tidaldb/streams sees nothing else of the WAL); see replicationSource.ts. */
  get replication(): Replication { return (this.replicationView ??= new DbReplication(this)); }
  private replicationView: Replication | null = null;

  get shardId(): number { return this.opts.shardId; }
  get regionId(): string { return this.opts.regionId; }
  get dir(): string | null { return this.opts.dir; }
  /**
   * Highest seqno written (leader) or applied (follower). After the log
   * failed, where it really ends: never more than was handed to the store.
   */
  get lastSeq(): number { return this.failedAhead() ? this.wal.writtenSeq : this.state.appliedSeq; }
  isFollower(): boolean { return this.role === 'follower'; }
  /** Leadership epoch: the highest this node has seen; promote() starts a new one. */
  get epoch(): number { return this.state.epoch; }
  isClosed(): boolean { return this.closed; }

  /** Records a signal; resolves with its seqno once durable as configured. */
  signal(input: SignalInput): Promise<number> {
    try {
      this.checkWritable();
      const event = validateSignal(input, this.state.appliedSeq + 1, this.opts);
      this.counts.signals++;
      return this.write(event);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Creates or replaces an item; resolves with its seqno once durable as configured. */
  writeItem(input: ItemInput): Promise<number> {
    try {
      this.checkWritable();
      const item = validateItem(input);
      this.counts.items++;
      return this.write({ kind: 'item', seq: this.state.appliedSeq + 1, ...item });
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
    return this.settled(firstValueFrom(this.signalBatch$(inputs)));
  }

  /** Cold form of `signalBatch`: synchronous in memory, so it runs in virtual time. */
  signalBatch$(inputs: readonly SignalInput[]): Observable<number> {
    return defer(() => {
      this.checkWritable();
      const events = validateSignalBatch(inputs, this.state.appliedSeq + 1, this.opts);
      this.counts.signals += events.length;
      return this.writeAll(events);
    });
  }

  /** Creates or replaces many items at once: all or nothing, as `signalBatch`. Resolves with the last seqno. */
  writeItemBatch(inputs: readonly ItemInput[]): Promise<number> {
    return this.settled(firstValueFrom(this.writeItemBatch$(inputs)));
  }

  /** Cold form of `writeItemBatch`. */
  writeItemBatch$(inputs: readonly ItemInput[]): Observable<number> {
    return defer(() => {
      this.checkWritable();
      const events = validateItemBatch(inputs, this.state.appliedSeq + 1);
      this.counts.items += events.length;
      return this.writeAll(events);
    });
  }

  /** The decayed score of (item, type) at `at` (default now): sum of weight * 2^(-(at - t) / halfLife). */
  readDecayScore(itemId: string, type: string, at?: number): number {
    this.checkServing();
    checkStringArg('itemId', itemId);
    checkStringArg('type', type);
    return this.state.ledger.score(itemId, type, checkAt(at, this.opts.clock()));
  }

  /** Items ranked by decayed score of one signal type. */
  retrieve(query: RetrieveQuery): Scored[] {
    this.checkReadable(query?.maxStaleMs);
    return retrieve(this.state, query, this.opts.clock());
  }

  /** Items matching every token of `text`, ranked by BM25 (blended with a signal when given). */
  search(query: SearchQuery): Scored[] {
    this.checkReadable(query?.maxStaleMs);
    return search(this.state, query, this.opts.clock());
  }

  /** The item with `id`, if written. */
  getItem(id: string): Item | undefined {
    this.checkServing();
    checkStringArg('id', id);
    return this.state.items.get(id);
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
   * Cold form of `applySegment`: synchronous in memory, so it runs in virtual
   * time. `verified` is the decode `verifyPayload` returned for this very
   * payload object (the validateChecksum operator passes it on); anything
   * else is verified again. The bytes are copied before they are checked:
   * a caller changing its buffer later changes nothing here.
   */
  applySegment$(payload: WalSegmentPayload, verified?: DecodedSegment): Observable<ApplyResult> {
    return defer(() => {
      this.checkOpen();
      const trusted = verified !== undefined && wasVerified(payload, verified);
      const owned = trusted ? payload : ownedPayload(payload);
      const decoded = trusted ? verified : verifyPayload(owned);
      if (decoded.header.shardId !== this.opts.shardId) {
        throw new TidalError('ConfigMismatch', `segment ${owned.segmentId} is for shard ${decoded.header.shardId}, this database holds shard ${this.opts.shardId}`);
      }
      checkEpoch(this.state, owned, decoded);
      if (decoded.lastSeq <= this.state.appliedSeq) return of(this.counted(applyDecodedSegment(this.state, owned, decoded)));
      checkNoGap(this.state, owned, decoded);
      return this.finishCoveredDrop$(owned).pipe(mergeMap(() => this.storeAndApply$(owned, decoded)));
    });
  }

  /**
   * Completes an installed checkpoint's drop of the segments it covers when
   * that failed part-way (an I/O error): needed only when a stored segment's
   * id is at or past `payload`'s. Synchronous (of) when there is nothing to do.
   */
  private finishCoveredDrop$(payload: WalSegmentPayload): Observable<void> {
    const seq = this.coveredDropSeq;
    const lastStoredId = this.wal.sealedSegments.at(-1)?.segmentId ?? 0;
    if (seq === null || lastStoredId < payload.segmentId) return of(undefined);
    return defer(() => dropCoveredByCheckpoint(this.store, this.wal, seq)).pipe(map(() => {
      this.coveredDropSeq = null;
    }));
  }

  private storeAndApply$(owned: WalSegmentPayload, decoded: DecodedSegment): Observable<ApplyResult> {
    return defer(() => {
      checkSegmentIdAfter(this.wal.sealedSegments.at(-1)?.segmentId ?? 0, owned);
      const where = `segment ${owned.segmentId}`;
      if (this.state.halfLives !== null) this.state.agreeHalfLives(decoded.header.halfLives, where);
      // Durable first, then applied, then acknowledged: an ack never runs ahead of the data.
      // Every check is above: from here on the apply cannot fail half-way, and once the store
      // has started it runs to the apply even if the caller unsubscribes (promote() waits for it).
      return this.runToCompletion(this.wal.storeSealed$(owned).pipe(map(() => {
        this.state.agreeHalfLives(decoded.header.halfLives, where);
        if (decoded.header.epoch > this.state.epoch) {
          this.state.epochStartSeq = decoded.header.epochStartSeq;
          this.state.epochHistory = decoded.header.epochHistory;
        }
        this.state.epoch = decoded.header.epoch;
        const result = this.counted(applyDecodedSegment(this.state, owned, decoded));
        this.checkpointIfBytesDue();
        return result;
      })));
    });
  }

  /**
   * Runs `work$` to its end whatever the subscriber does, replaying its
   * outcome: a store that landed is always applied (a stopped receiver must
   * not leave a stored, unapplied segment under a promotion). Tracked until
   * it settles. Synchronous work stays synchronous.
   */
  private runToCompletion<T>(work$: Observable<T>): Observable<T> {
    const outcome = new ReplaySubject<T>(1);
    let settledAlready = false;
    work$.subscribe({
      next: (value) => outcome.next(value),
      error: (err: unknown) => {
        settledAlready = true;
        outcome.error(err);
      },
      complete: () => {
        settledAlready = true;
        outcome.complete();
      },
    });
    if (!settledAlready) {
      const settled: Promise<void> = lastValueFrom(outcome).then(() => {}, () => {});
      this.inFlight.add(settled);
      void settled.then(() => this.inFlight.delete(settled));
    }
    return outcome.asObservable();
  }

  /** Resolves once `seq` is applied here; rejects with `Timeout` after `timeoutMs`, or `Closed`. */
  waitFor(seq: number, options: { timeoutMs: number; scheduler?: SchedulerLike }): Promise<number> {
    return firstValueFrom(this.waitFor$(seq, options));
  }

  /** Cold form of `waitFor`; a bad argument is an `InvalidInput` error notification, never a synchronous throw. */
  waitFor$(seq: number, options: { timeoutMs: number; scheduler?: SchedulerLike }): Observable<number> {
    return defer(() => {
      this.checkOpen();
      const { timeoutMs, scheduler } = checkWaitArgs(seq, options);
      return waitForSeq$({ appliedSeq: () => this.state.appliedSeq, applied$: this.appliedSubject, closed$: this.closedSubject }, seq, timeoutMs, scheduler);
    });
  }

  /** Records the leader's announced position (followers; the SegmentReceiver calls this). */
  noteLeaderStatus(status: LeaderStatus): void {
    this.freshness.noteLeader(status, this.state.appliedSeq);
  }

  /** ms this node may be behind its leader (0 on a leader; Infinity on a follower that never caught up). */
  stalenessMs(): number {
    return this.isFollower() ? this.freshness.stalenessMs(this.opts.clock()) : 0;
  }

  /** The leader seqno this follower last heard of (its own lastSeq on a leader). */
  get knownLeaderSeq(): number {
    return this.isFollower() ? this.freshness.leaderSeq : this.state.appliedSeq;
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
  async promote(): Promise<number> {
    this.checkOpen();
    if (!this.isFollower()) throw new TidalError('InvalidInput', 'promote() is for followers: this database is already a leader');
    // An apply or install in flight (its receiver was stopped for the promotion) lands first, in the old epoch.
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.checkOpen();
    const before = { halfLives: this.state.halfLives, epoch: this.state.epoch, epochStartSeq: this.state.epochStartSeq, epochHistory: this.state.epochHistory };
    this.state.halfLives ??= defaultHalfLives();
    this.state.epoch += 1;
    this.state.epochStartSeq = this.state.appliedSeq + 1;
    this.state.epochHistory = [...this.state.epochHistory, [this.state.epoch, this.state.epochStartSeq] as const].slice(-MAX_EPOCH_HISTORY);
    this.role = 'leader';
    try {
      await this.writeCheckpoint();
    } catch (err) {
      // Not durable: still the follower it was (a reopen finds no new epoch unless the checkpoint landed after all).
      this.state.halfLives = before.halfLives;
      this.state.epoch = before.epoch;
      this.state.epochStartSeq = before.epochStartSeq;
      this.state.epochHistory = before.epochHistory;
      this.role = 'follower';
      throw err;
    }
    return this.state.epoch;
  }

  /**
   * Tells retention which segments followers still need: every one holding
   * events after `seq` stays (up to `wal.maxRetainedBytes`) when a checkpoint
   * runs. The WalShipper calls it with the lowest acked seqno of its followers.
   */
  retainFrom(seq: number): void {
    if (typeof seq !== 'number' || !(seq >= 0)) throw new TidalError('InvalidInput', `retainFrom: seq must be a seqno >= 0 or Infinity, got ${String(seq)}`);
    this.retainAfterSeq = seq;
  }

  /** The newest checkpoint's bytes and seqno (to bootstrap a follower behind retention), or null. */
  async latestCheckpoint(): Promise<{ seq: number; bytes: Uint8Array } | null> {
    this.checkOpen();
    const seqs = await this.store.listCheckpoints();
    const seq = seqs[seqs.length - 1];
    return seq === undefined ? null : { seq, bytes: await this.store.readCheckpoint(seq) };
  }

  /**
   * Replaces a follower's state with a leader's checkpoint when it is ahead
   * of the follower's high-water mark (a follower too far behind what the
   * leader retains). Verifies it, stores it durably, drops the segments it
   * covers, then swaps the state in. Returns false (changing nothing) when
   * the follower is already at or past it.
   */
  async installCheckpoint(bytes: Uint8Array): Promise<boolean> {
    this.checkOpen();
    if (!this.isFollower()) throw new TidalError('InvalidInput', 'installCheckpoint() is for followers');
    if (!(bytes instanceof Uint8Array)) throw new WalError('Corruption', `shipped checkpoint: must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
    const owned = bytes.slice();
    const restored = verifyShippedCheckpoint(owned, this.state, this.opts.shardId);
    if (!restored) return false;
    const stored = storeShippedCheckpoint(this.store, restored.appliedSeq, owned);
    const settled = stored.then(() => {}, () => {});
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    if (!(await stored)) {
      // Storing failed and so did removing it: whether it landed only a reopen can tell. Fail closed until then.
      this.fatal = new TidalError('Failed', `installing the checkpoint at seqno ${restored.appliedSeq} failed and it may or may not be on disk: reopen the database to recover its durable state`);
      throw this.fatal;
    }
    // Stored: the live state is the checkpoint's from here on, whatever the cleanup below does.
    this.state = restored;
    this.wal.reserveSegmentIds(restored.nextSegmentId);
    this.freshness.noteApplied(this.state.appliedSeq);
    this.appliedSubject.next(this.state.appliedSeq);
    // If the cleanup fails, the covered segments stay listed; the next segment to store finishes it
    // first (finishCoveredDrop), or their old ids would make this follower refuse the leader's forever.
    this.coveredDropSeq = restored.appliedSeq;
    await dropCoveredByCheckpoint(this.store, this.wal, restored.appliedSeq);
    this.coveredDropSeq = null;
    return true;
  }

  /** Makes every write so far durable. */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.wal.sync();
  }

  /**
   * Writes a checkpoint of the state (atomically: temp, fsync, rename) and
   * returns its seqno; open then replays only what came after. Drops older
   * checkpoints and sealed segments beyond `wal.retainSegments`.
   */
  async checkpoint(): Promise<number> {
    this.checkOpen();
    return this.writeCheckpoint();
  }

  /** Flushes, checkpoints and releases everything; later calls fail with `Closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.wal.failed && this.state.halfLives !== null && this.state.appliedSeq > this.recovery.checkpointSeq) {
        await this.writeCheckpoint();
      }
    } finally {
      this.closed = true;
      this.bytesWatch.unsubscribe();
      this.closedSubject.next();
      this.closedSubject.complete();
      this.appliedSubject.complete();
      try {
        await this.wal.close();
      } finally {
        await this.lock?.release();
      }
    }
  }

  private write(event: WalEvent): Promise<number> {
    applyWalEvent(this.state, event);
    if (this.appliedSubject.observed) this.appliedSubject.next(event.seq);
    const seq = event.seq;
    const durable = this.wal.append(event);
    return this.opts.durability === 'memory' ? this.turns.settle(seq) : durable.then(() => seq, (err) => { throw failed(err); });
  }

  /** In memory, `done` then an event-loop turn when a tight write loop is due one (EventLoopTurns); on disk, I/O yields already. */
  private settled(done: Promise<number>): Promise<number> {
    return this.opts.durability === 'memory' ? done.then((seq) => this.turns.settle(seq)) : done;
  }

  /** Applies and appends validated events (contiguous seqnos); emits the last seqno once durable as configured. */
  private writeAll(events: readonly WalEvent[]): Observable<number> {
    if (events.length === 0) return of(this.state.appliedSeq);
    const groups = new Set<Promise<void>>();
    for (const event of events) {
      applyWalEvent(this.state, event);
      groups.add(this.wal.append(event));
    }
    const seq = events[events.length - 1]!.seq;
    if (this.appliedSubject.observed) this.appliedSubject.next(seq);
    if (this.opts.durability === 'memory') return of(seq);
    return from(Promise.all(groups).then(() => seq, (err: unknown) => { throw failed(err); }));
  }

  /**
   * Checkpoints run one at a time, in call order: two at one seqno (a
   * periodic one and promote()'s) must land in the order they were taken,
   * or the older epoch's could be the one a restart finds.
   */
  private writeCheckpoint(): Promise<number> {
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

  private counted(r: ApplyResult): ApplyResult {
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

  private checkOpen(): void {
    if (this.closed) throw new TidalError('Closed', 'the database is closed');
    if (this.fatal) throw this.fatal;
  }

  private checkWritable(): void {
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
  private checkServing(): void {
    this.checkOpen();
    if (this.failedAhead()) throw failed(this.wal.failed);
  }

  /** True when the log failed with events applied here that it never took. */
  private failedAhead(): boolean {
    return this.wal.failed !== null && this.state.appliedSeq > this.wal.writtenSeq;
  }

  private checkReadable(maxStaleMs: unknown): void {
    this.checkServing();
    if (maxStaleMs === undefined) return;
    if (typeof maxStaleMs !== 'number' || !(maxStaleMs >= 0)) throw new TidalError('InvalidInput', `maxStaleMs must be a non-negative number, got ${String(maxStaleMs)}`);
    if (this.isFollower()) this.freshness.check(this.opts.clock(), maxStaleMs, this.state.appliedSeq);
  }
}

/** A read's name argument: any string (one never written reads as absent); anything else is InvalidInput. */
function checkStringArg(field: string, value: unknown): void {
  if (typeof value !== 'string') throw new TidalError('InvalidInput', `${field} must be a string, got ${value === null ? 'null' : typeof value}`);
}

function failed(err: unknown): TidalError {
  return new TidalError('Failed', `the write-ahead log failed; reopen the database to recover its durable state: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
