/**
 * The write-ahead log of one shard: batches events into segments, seals them
 * (by size and on request), group-commits fsyncs, and serves sealed segments
 * for shipping. The byte format is in docs/wal-format.md.
 */
import { defer, from, map, type Observable, of, Subject, throwError } from 'rxjs';
import { Checksum, createHasher, type Hasher } from '../checksum.js';
import { assert, WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import type { HalfLives } from '../ledger/halfLives.js';
import { MAX_BATCH_EVENTS } from '../limits.js';
import { encodeBatch } from './batch.js';
import { defaultMergePolicy, type MergePolicy } from './planMerge.js';
import { type MergeStats, SegmentMerger } from './segmentMerger.js';
import { encodeSegmentFooter, FOOTER_BYTES } from './segmentFooter.js';
import { encodeSegmentHeader, headerMetaKey } from './segmentHeader.js';
import type { ActiveSegment, SegmentStore } from './segmentStore.js';
import { deferred, type Deferred, SyncQueue } from './syncQueue.js';
import { SealedSegmentIndex, toInfo } from './sealedSegmentIndex.js';
import type { SealedSegmentInfo, WalSegmentPayload } from './walSegmentPayload.js';

/** How a write becomes durable: in memory (at once), handed to the OS, or fdatasync'd. */
export type Durability = 'memory' | 'none' | 'fsync';

export interface WalConfig {
  readonly shardId: number;
  readonly regionId: string;
  readonly maxSegmentBytes: number;
  readonly durability: Durability;
  readonly shipCacheBytes: number;
  readonly clock: () => number;
  /** Read at each segment's creation: the half-lives recorded in its header. */
  readonly halfLives: () => HalfLives;
  /** Read at each segment's creation: the leadership epoch recorded in its header. */
  readonly epoch: () => number;
  /** Read at each segment's creation: the first seqno of that epoch, recorded in its header. */
  readonly epochStartSeq: () => number;
  /** Read at each segment's creation: where each epoch began, recorded in its header. */
  readonly epochHistory: () => ReadonlyArray<readonly [number, number]>;
  /**
   * How small sealed segments are merged (planMerge.ts). Default: the
   * default policy for a file store (it bounds the number of files), none
   * in memory (no files to bound); null turns merging off.
   */
  readonly merge?: MergePolicy | null;
}

/** The segment being appended to, with what sealing it needs. */
export interface ActiveState {
  readonly handle: ActiveSegment;
  readonly firstSeq: number;
  readonly chunks: Uint8Array[];
  readonly prefix: Hasher;
  length: number;
  eventCount: number;
  lastSeq: number;
}

const RESOLVED = Promise.resolve();

export class Wal {
  private readonly sealedSubject = new Subject<WalSegmentPayload>();
  /** Each segment as it is sealed (and durable): size-triggered and requested seals alike. */
  readonly sealed$: Observable<WalSegmentPayload> = this.sealedSubject.asObservable();
  private readonly index: SealedSegmentIndex;
  private pending: WalEvent[] = [];
  private group: Deferred | null = null;
  private flushScheduled = false;
  private failure: WalError | null = null;
  private readonly syncs: SyncQueue;
  private written: number;
  /**
   * Every segment handle this log opened and has not closed: the active one
   * and those being sealed. close() releases what a failure left behind.
   */
  private readonly handles = new Set<ActiveSegment>();
  private readonly merger: SegmentMerger;
  /** The byte cap the last retention applied, and the checkpoint it ran after; null: none (or no cap). */
  private byteCap: { checkpointSeq: number; maxRetainedBytes: number } | null = null;
  private newBytes = 0;

  /**
   * @param recoveredSeq the highest seqno open found in the log (or its checkpoint)
   * @param strays segment files open found covered by later ones: removed in the background
   */
  constructor(
    private readonly store: SegmentStore,
    private readonly config: WalConfig,
    private active: ActiveState | null,
    sealed: readonly SealedSegmentInfo[],
    private segmentIdNext: number,
    recoveredSeq: number,
    strays: readonly number[] = [],
  ) {
    this.written = recoveredSeq;
    if (active) this.handles.add(active.handle);
    this.index = new SealedSegmentIndex(store, config.shardId, config.shipCacheBytes, sealed);
    this.syncs = new SyncQueue((err) => this.fail(err));
    this.merger = new SegmentMerger({
      store, index: this.index,
      policy: config.merge !== undefined ? config.merge : store.kind === 'file' ? defaultMergePolicy(config.maxSegmentBytes) : null,
      activeId: () => this.active?.handle.segmentId ?? null,
      fail: (err) => this.fail(err),
      failed: () => this.failure !== null,
    });
    if (strays.length > 0) this.merger.removeLater(strays);
  }

  /** Sealed segments, oldest first (descriptors only). */
  get sealedSegments(): readonly SealedSegmentInfo[] {
    return this.index.list;
  }

  /** Bytes of the sealed segments held (what retention weighs against `wal.maxRetainedBytes`). */
  get sealedBytes(): number {
    return this.index.totalBytes;
  }

  /**
   * Bytes sealed here or stored from a leader since retention last ran (at
   * the last checkpoint): what no checkpoint covers yet, so no retention
   * can drop. A database that checkpoints once this passes half of
   * `wal.maxRetainedBytes` keeps the sealed bytes under the cap.
   */
  get bytesSinceRetention(): number {
    return this.newBytes;
  }

  /** What merging small sealed segments has done since open (docs/wal-format.md, "Merging sealed segments"). */
  get merges(): Readonly<MergeStats> {
    return this.merger.stats;
  }

  /**
   * Resolves once the merges and file removals queued so far have run (they
   * run in the background after each seal and each stored segment).
   */
  mergesSettled(): Promise<void> {
    return this.merger.settled();
  }

  /** Bytes in the active segment (0 when there is none). */
  get activeBytes(): number {
    return this.active?.length ?? 0;
  }

  /** Events in the active segment plus those not yet encoded. */
  get unsealedEvents(): number {
    return (this.active?.eventCount ?? 0) + this.pending.length;
  }

  /**
   * The highest seqno handed to the store without error: recovered at open,
   * then each batch once appended to the active segment (before it is
   * synced), each shipped segment once stored. After a failure it is where
   * the log really ends, whatever was queued behind it. A checkpoint
   * installed on a follower does not move it.
   */
  get writtenSeq(): number {
    return this.written;
  }

  /** The id the next segment opened here gets; ids only grow, across every node of a shard (checkpoints carry it). */
  get nextSegmentId(): number {
    return this.segmentIdNext;
  }

  /**
   * Never number a segment below `next` (a checkpoint installed or recovered
   * says how far its writer's ids went): a node bootstrapped from a
   * checkpoint and then promoted must not reuse ids its followers store.
   */
  reserveSegmentIds(next: number): void {
    this.segmentIdNext = Math.max(this.segmentIdNext, next);
  }

  /** Set once an I/O failure has stopped the log. */
  get failed(): WalError | null {
    return this.failure;
  }

  /**
   * Queues `event` for the next batch. Resolves when the event is as durable
   * as configured: at once in memory, after write(2) with `none`, after
   * fdatasync with `fsync`.
   */
  append(event: WalEvent): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.pending.push(event);
    // Join the commit group before a size-triggered flush takes it, so this write resolves with its batch.
    const group = this.config.durability === 'memory' ? null : (this.group ??= deferred());
    if (this.pending.length >= MAX_BATCH_EVENTS) this.flushPending();
    else this.scheduleFlush();
    return group ? group.promise : RESOLVED;
  }

  /** Encodes pending events into batches now, synchronously. */
  flushPending(): void {
    if (this.pending.length === 0 || this.failure) return;
    const events = this.pending;
    const group = this.group;
    this.pending = [];
    this.group = null;
    try {
      this.appendEvents(events);
    } catch (err) {
      this.fail(err);
      group?.reject(this.failure);
      return;
    }
    if (!group) return;
    if (this.config.durability !== 'fsync') group.resolve();
    else if (this.active) this.syncs.syncFor(this.active.handle, group);
    else this.syncs.joinLast(group);
  }

  /**
   * Seals the active segment: flushes pending events, appends the footer and
   * (on disk) syncs it. Resolves with the sealed segment once it is durable,
   * or null when there was nothing to seal. In memory, `sealed$` has emitted
   * before this returns. If the flush, the footer's append or its sync fails,
   * it rejects (never throws) with the log's failure: the log stops, so no
   * segment is ever opened behind one left unsealed.
   */
  seal(): Promise<WalSegmentPayload | null> {
    this.flushPending();
    // A batch that failed to append may have left part of itself in the file: no footer goes after it.
    if (this.failure) return Promise.reject(this.failure);
    if (!this.active || this.active.eventCount === 0) return Promise.resolve(null);
    try {
      return this.sealActive();
    } catch (err) {
      this.fail(err);
      return Promise.reject(this.failure);
    }
  }

  /** The sealed segment holding the first seqno after `seq`, or nothing. Read back and verified if not cached. */
  nextSegment$(seq: number): Observable<WalSegmentPayload> {
    return this.index.next$(seq);
  }

  /** Sealed segments holding events after `seq`, in order, each read as it is reached. */
  async *sealedSegmentsSince(seq: number): AsyncIterable<WalSegmentPayload> {
    let cursor = seq;
    for (;;) {
      const next = await new Promise<WalSegmentPayload | null>((resolve, reject) => {
        let found: WalSegmentPayload | null = null;
        this.nextSegment$(cursor).subscribe({ next: (p) => (found = p), error: reject, complete: () => resolve(found) });
      });
      if (!next) return;
      yield next;
      cursor = next.lastSeq;
    }
  }

  /**
   * Stores a sealed segment received from a leader (followers). Emits once it
   * is durable: synchronously in memory, after temp-write, fsync and rename on disk.
   * A store that fails is undone (the file removed) so the segment is not in
   * this node's log until it is stored again; if even that fails, the log
   * stops: the directory may hold a segment this node never applied.
   */
  storeSealed$(payload: WalSegmentPayload): Observable<void> {
    return defer(() => {
      if (this.failure) return throwError(() => this.failure);
      // Its id is taken even if the store fails: a segment file with it may be on disk.
      this.segmentIdNext = Math.max(this.segmentIdNext, payload.segmentId + 1);
      if (this.store.writeSegmentSync(payload.segmentId, payload.bytes)) return of(undefined);
      return from(this.writeSegmentOrUndo(payload));
    }).pipe(map(() => {
      const info = toInfo(payload);
      // A leader's merged segment repeats segments stored here: they go (their files in the background).
      this.merger.removeLater(this.index.dropCoveredBy(info).map((covered) => covered.segmentId));
      this.index.record(info, payload.bytes);
      this.written = Math.max(this.written, payload.lastSeq);
      this.afterNewSegment(info.byteLength);
    }));
  }

  /**
   * Drops sealed segments whose events are all at or below `seq`, keeping the
   * newest `keep`. The newest segment file is always kept (sealed, when there
   * is no active one): open numbers the next segment after the last file it
   * finds, and a reused segment id would overwrite a follower's older segment.
   */
  async removeSealedThrough(seq: number, keep: number): Promise<number> {
    return this.applyRetention({ checkpointSeq: seq, keepSegments: keep, maxRetainedBytes: Infinity, neededAfterSeq: Infinity });
  }

  /**
   * Retention after a checkpoint at `checkpointSeq`: only segments it covers
   * may go, oldest first. One goes while the sealed bytes exceed
   * `maxRetainedBytes` (followers behind it bootstrap from the checkpoint),
   * or while no follower needs it (all acked past `neededAfterSeq`) and more
   * than `keepSegments` remain. The newest segment file always stays when
   * there is no active one: open numbers the next segment after it.
   *
   * The byte cap also holds between checkpoints: after each later seal or
   * stored segment, segments this checkpoint covers go, oldest first, while
   * the sealed bytes exceed `maxRetainedBytes`. (Segments no checkpoint
   * covers yet are never dropped: what one interval seals is on top.)
   */
  async applyRetention(p: {
    checkpointSeq: number; keepSegments: number; maxRetainedBytes: number; neededAfterSeq: number;
    /** Default true. False once a checkpoint carries the next segment id (an installed one): no file need stay for numbering. */
    keepNewestFile?: boolean;
  }): Promise<number> {
    this.byteCap = Number.isFinite(p.maxRetainedBytes) ? { checkpointSeq: p.checkpointSeq, maxRetainedBytes: p.maxRetainedBytes } : null;
    this.newBytes = 0; // what the checkpoint does not cover (sealed while it was written) still counts
    const list = this.index.list;
    for (let i = list.length - 1; i >= 0 && list[i]!.lastSeq > p.checkpointSeq; i--) this.newBytes += list[i]!.byteLength;
    // Never while a merge runs: both remove files and rewrite the index.
    return this.merger.exclusive(() => this.index.removeOldestWhile((oldest, held) => {
      if (oldest.lastSeq > p.checkpointSeq) return false;
      if (held > p.maxRetainedBytes) return true;
      return oldest.lastSeq <= p.neededAfterSeq && this.index.list.length > p.keepSegments;
    }, this.active || p.keepNewestFile === false ? 0 : 1));
  }

  /** Makes everything written so far durable. */
  async sync(): Promise<void> {
    this.flushPending();
    if (this.failure) throw this.failure;
    if (this.config.durability !== 'fsync') return;
    if (this.active) {
      const group = deferred();
      this.syncs.syncFor(this.active.handle, group);
      await group.promise;
    }
    await this.syncs.drain();
  }

  /**
   * Flushes and syncs; leaves the active segment unsealed for recovery to
   * continue. Releases every segment handle, even after a failure; rejects
   * with the first error met.
   */
  async close(): Promise<void> {
    let error: unknown = null;
    try {
      await this.merger.close();
      if (!this.failure) await this.sync();
    } catch (err) {
      error = err;
    }
    for (const handle of [...this.handles]) {
      // In memory, closing the active segment would store it as a whole segment: it is only dropped.
      if (this.config.durability === 'memory' && handle === this.active?.handle) continue;
      try {
        this.release(handle);
      } catch (err) {
        error ??= err;
      }
    }
    try {
      await this.store.close();
    } catch (err) {
      error ??= err;
    }
    this.sealedSubject.complete();
    if (error !== null) throw error;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushPending();
    });
  }

  /**
   * Appends `events` as batches of at most MAX_BATCH_EVENTS, each cut so
   * that it fits the active segment's room (its footer counted): a segment
   * stays within maxSegmentBytes, unless one event alone is larger (a big
   * item text), which then has a segment of its own. A chunk that does not
   * fit is re-encoded smaller, in proportion to the room left; when not
   * even one event fits, the segment seals and the next one takes it.
   */
  private appendEvents(events: readonly WalEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const active = this.active ?? this.openSegment(events[i]!.seq);
      const room = this.config.maxSegmentBytes - FOOTER_BYTES - active.length; // the footer counts too
      let n = Math.min(MAX_BATCH_EVENTS, events.length - i);
      let chunk = events.slice(i, i + n);
      let bytes = encodeBatch(this.config.shardId, chunk, this.config.clock());
      while (bytes.length > room && n > 1) {
        n = Math.max(1, Math.min(n - 1, Math.floor((n * room) / bytes.length)));
        chunk = events.slice(i, i + n);
        bytes = encodeBatch(this.config.shardId, chunk, this.config.clock());
      }
      if (bytes.length > room && active.eventCount > 0) {
        // Not even one more event fits: seal this segment and put it at the start of the next.
        void this.sealActive().catch(() => {});
        continue;
      }
      this.appendBatch(active, chunk, bytes);
      i += n;
    }
  }

  private appendBatch(active: ActiveState, events: readonly WalEvent[], bytes: Uint8Array): void {
    assert(events[0]!.seq === active.lastSeq + 1, `batch starting at ${events[0]!.seq} after seqno ${active.lastSeq}`);
    active.handle.append(bytes);
    active.chunks.push(bytes);
    active.prefix.update(bytes);
    active.length += bytes.length;
    active.eventCount += events.length;
    active.lastSeq = events[events.length - 1]!.seq;
    this.written = active.lastSeq;
    if (active.length + FOOTER_BYTES >= this.config.maxSegmentBytes) void this.sealActive().catch(() => {});
  }

  private openSegment(firstSeq: number): ActiveState {
    const header = encodeSegmentHeader({
      shardId: this.config.shardId,
      segmentId: this.segmentIdNext,
      firstSeq,
      createdAtMs: this.config.clock(),
      regionId: this.config.regionId,
      halfLives: this.config.halfLives(),
      epoch: this.config.epoch(),
      epochStartSeq: this.config.epochStartSeq(),
      epochHistory: this.config.epochHistory(),
    });
    const handle = this.store.createActive(this.segmentIdNext++, header);
    this.handles.add(handle);
    this.active = {
      handle, firstSeq, chunks: [header], prefix: createHasher().update(header),
      length: header.length, eventCount: 0, lastSeq: firstSeq - 1,
    };
    return this.active;
  }

  private sealActive(): Promise<WalSegmentPayload> {
    const active = this.active!;
    this.active = null;
    const sealedAtMs = this.config.clock();
    const footer = encodeSegmentFooter({ eventCount: active.eventCount, lastSeq: active.lastSeq, sealedAtMs }, active.prefix);
    active.handle.append(footer);
    active.chunks.push(footer);
    const bytes = Buffer.concat(active.chunks);
    const info: SealedSegmentInfo = {
      segmentId: active.handle.segmentId, firstSeq: active.firstSeq, lastSeq: active.lastSeq,
      sealedAtMs, byteLength: bytes.length, checksum: Checksum.of(bytes), metaKey: headerMetaKey(bytes),
    };
    if (this.config.durability === 'memory') {
      this.release(active.handle);
      return Promise.resolve(this.publish(info, bytes));
    }
    const done = deferred<WalSegmentPayload>();
    this.syncs.seal(active.handle, () => this.release(active.handle), () => done.resolve(this.publish(info, bytes)));
    const sealedGroup = deferred();
    this.syncs.joinLast(sealedGroup);
    sealedGroup.promise.catch((err) => done.reject(err));
    return done.promise;
  }

  /** Closes `handle` once: after a close, even a failed one, its descriptor number may belong to another file. */
  private release(handle: ActiveSegment): void {
    if (this.handles.delete(handle)) handle.close();
  }

  /** Writes a shipped segment; on failure removes whatever of it landed, or stops the log if it cannot. */
  private async writeSegmentOrUndo(payload: WalSegmentPayload): Promise<void> {
    try {
      await this.store.writeSegment(payload.segmentId, payload.bytes);
    } catch (err) {
      // The rename may have happened before the failure (a failed directory fsync): the file would
      // then sit in this node's log unapplied, and a promotion would write the new epoch after it.
      await this.store.removeSegment(payload.segmentId).catch((removeErr: unknown) => this.fail(removeErr));
      throw err;
    }
  }

  private publish(info: SealedSegmentInfo, bytes: Uint8Array): WalSegmentPayload {
    const payload = this.index.record(info, bytes);
    this.sealedSubject.next(payload);
    this.afterNewSegment(info.byteLength);
    return payload;
  }

  /** After a seal or a stored segment: queue merges, and keep the byte cap of the last retention. */
  private afterNewSegment(bytes: number): void {
    this.newBytes += bytes;
    this.merger.wake();
    const cap = this.byteCap;
    const oldest = this.index.list[0];
    if (!cap || this.index.totalBytes <= cap.maxRetainedBytes || !oldest || oldest.lastSeq > cap.checkpointSeq) return;
    void this.merger.exclusive(() => this.index.removeOldestWhile(
      (s, held) => s.lastSeq <= cap.checkpointSeq && held > cap.maxRetainedBytes, this.active ? 0 : 1,
    )).catch((err: unknown) => this.merger.noteFailure(err));
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = err instanceof WalError ? err : new WalError('Io', `write-ahead log failed: ${(err as Error).message}`, { cause: err });
    this.group?.reject(this.failure);
    this.group = null;
  }
}
