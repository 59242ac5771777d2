/**
 * The write-ahead log of one shard: the writer (segmentWriter.ts: batches,
 * group commit, sealing) over an index of sealed segments that it serves for
 * shipping, stores from a leader, merges (segmentMerger.ts) and drops by
 * retention (retentionRules.ts). The byte format is in docs/wal-format.md.
 */
import { defer, from, map, type Observable, of, Subject, throwError } from 'rxjs';
import type { WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import type { ActiveState } from './activeSegment.js';
import { defaultMergePolicy } from './planMerge.js';
import { type RetentionOptions, RetentionRules } from './retentionRules.js';
import { type MergeStats, SegmentMerger } from './segmentMerger.js';
import type { SegmentStore } from './segmentStore.js';
import { SegmentWriter } from './segmentWriter.js';
import { sealedSegmentsSince } from './sealedSegmentsSince.js';
import { appendSealedOrUndo } from './appendSealedOrUndo.js';
import { SealedSegmentIndex, toInfo } from './sealedSegmentIndex.js';
import type { WalConfig } from './walConfig.js';
import type { SealedSegmentInfo, WalSegmentPayload } from './walSegmentPayload.js';

export type { ActiveState } from './activeSegment.js';
export type { Durability, WalConfig } from './walConfig.js';


/** The write-ahead log behind `db.wal`: `seal()`, `sealed$` and `sealedSegmentsSince(seq)` are the parts an app uses. */
export class Wal {
  private readonly sealedSubject = new Subject<WalSegmentPayload>();
  /** Each segment as it is sealed (and durable): size-triggered and requested seals alike. */
  readonly sealed$: Observable<WalSegmentPayload> = this.sealedSubject.asObservable();
  private readonly index: SealedSegmentIndex;
  private readonly writer: SegmentWriter;
  private readonly merger: SegmentMerger;
  private readonly retention = new RetentionRules();

  /**
   * @param recoveredSeq the highest seqno open found in the log (or its checkpoint)
   * @param strays segment files open found covered by later ones: removed in the background
   */
  constructor(
    private readonly store: SegmentStore,
    config: WalConfig,
    active: ActiveState | null,
    sealed: readonly SealedSegmentInfo[],
    segmentIdNext: number,
    recoveredSeq: number,
    strays: readonly number[] = [],
  ) {
    this.index = new SealedSegmentIndex(store, config.shardId, config.shipCacheBytes, sealed);
    const writer = new SegmentWriter(store, config, active, segmentIdNext, recoveredSeq, (info, bytes) => this.publish(info, bytes));
    this.writer = writer;
    this.merger = new SegmentMerger({
      store, index: this.index,
      // Merging bounds the files of the one-file-per-segment layout; a store that puts several segments
      // in a file (wal.packSegments) is bounded without it, and planning a merge after every seal over
      // thousands of held segments cost more than a second of CPU in a 5 s lag run (profiled).
      policy: config.merge !== undefined ? config.merge : store.kind === 'file' && store.appendsSegments !== true ? defaultMergePolicy(config.maxSegmentBytes) : null,
      activeId: () => writer.activeId,
      fail: (err) => writer.fail(err),
      failed: () => writer.failed !== null,
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
    return this.retention.bytesSinceRetention;
  }

  /** What merging small sealed segments has done since open (docs/wal-format.md, "Merging sealed segments"). @internal */
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
    return this.writer.activeBytes;
  }

  /** Events in the active segment plus those not yet encoded. */
  get unsealedEvents(): number {
    return this.writer.unsealedEvents;
  }

  /**
   * The highest seqno handed to the store without error: recovered at open,
   * then each batch once appended to the active segment (before it is
   * synced), each shipped segment once stored. After a failure it is where
   * the log really ends, whatever was queued behind it. A checkpoint
   * installed on a follower does not move it.
   */
  get writtenSeq(): number {
    return this.writer.writtenSeq;
  }

  /** The id the next segment opened here gets; ids only grow, across every node of a shard (checkpoints carry it). */
  get nextSegmentId(): number {
    return this.writer.nextSegmentId;
  }

  /**
   * Never number a segment below `next` (a checkpoint installed or recovered
   * says how far its writer's ids went): a node bootstrapped from a
   * checkpoint and then promoted must not reuse ids its followers store.
   */
  reserveSegmentIds(next: number): void {
    this.writer.reserveSegmentIds(next);
  }

  /** Set once an I/O failure has stopped the log. */
  get failed(): WalError | null {
    return this.writer.failed;
  }

  /**
   * Queues `event` for the next batch. Resolves when the event is as durable
   * as configured: at once in memory, after write(2) with `none`, after
   * fdatasync with `fsync`.
   */
  append(event: WalEvent): Promise<void> {
    return this.writer.append(event);
  }

  /** `append` for several events at once (contiguous seqnos): one commit group, one promise. */
  appendAll(events: readonly WalEvent[]): Promise<void> {
    return this.writer.appendAll(events);
  }

  /** Encodes pending events into batches now, synchronously. */
  flushPending(): void {
    this.writer.flushPending();
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
    return this.writer.seal();
  }

  /** The sealed segment holding the first seqno after `seq`, or nothing. Read back and verified if not cached. */
  nextSegment$(seq: number): Observable<WalSegmentPayload> {
    return this.index.next$(seq);
  }

  /** Sealed segments holding events after `seq`, in order, each read as it is reached. */
  sealedSegmentsSince(seq: number): AsyncIterable<WalSegmentPayload> {
    return sealedSegmentsSince((s) => this.nextSegment$(s), seq);
  }

  /**
   * Stores a sealed segment received from a leader (followers); see storeSealedGroup$.
   */
  storeSealed$(payload: WalSegmentPayload): Observable<void> {
    return this.storeSealedGroup$([payload]);
  }

  /**
   * Stores sealed segments received from a leader (followers), in order, as
   * one group commit: emits once all are durable (synchronously in memory;
   * on disk appended to the newest segment pack and made durable with one
   * fdatasync). A store that fails is undone (what landed is cut off again)
   * so no segment of the group is in this node's log until it is stored
   * again; if even that fails, the log stops: the directory may hold a
   * segment this node never applied.
   */
  storeSealedGroup$(payloads: readonly WalSegmentPayload[]): Observable<void> {
    return defer(() => {
      if (this.writer.failed) return throwError(() => this.writer.failed);
      // Their ids are taken even if the store fails: a pack may hold them.
      for (const p of payloads) this.writer.noteStored(p.segmentId, null);
      if (this.store.appendSealedSync(payloads)) return of(undefined);
      return from(appendSealedOrUndo(this.store, payloads, (err) => this.writer.fail(err)));
    }).pipe(map(() => {
      for (const payload of payloads) {
        const info = toInfo(payload);
        // A leader's merged segment repeats segments stored here: they go (their files in the background).
        this.merger.removeLater(this.index.dropCoveredBy(info).map((covered) => covered.segmentId));
        this.index.record(info, payload.bytes);
        this.writer.noteStored(payload.segmentId, payload.lastSeq);
        this.afterNewSegment(info.byteLength);
      }
    }));
  }

  /**
   * Retention after a checkpoint at `checkpointSeq` (retentionRules.ts says
   * what may go). The newest segment file always stays when there is no
   * active one (unless `keepNewestFile` is false): open numbers the next
   * segment after it, and a reused id would overwrite a follower's segment. @internal
   */
  async applyRetention(p: RetentionOptions): Promise<number> {
    const drop = this.retention.begin(p, this.index.list, () => this.index.list.length);
    // Never while a merge runs: both remove files and rewrite the index.
    return this.merger.exclusive(() => this.index.removeOldestWhile(drop, this.writer.hasActive || p.keepNewestFile === false ? 0 : 1));
  }

  /** Makes everything written so far durable. */
  sync(): Promise<void> {
    return this.writer.sync();
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
      if (!this.writer.failed) await this.writer.sync();
    } catch (err) {
      error = err;
    }
    const released = this.writer.releaseAll();
    error ??= released;
    try {
      await this.store.close();
    } catch (err) {
      error ??= err;
    }
    this.sealedSubject.complete();
    if (error !== null) throw error;
  }

  private publish(info: SealedSegmentInfo, bytes: Uint8Array): WalSegmentPayload {
    const payload = this.index.record(info, bytes);
    this.sealedSubject.next(payload);
    this.afterNewSegment(info.byteLength);
    return payload;
  }

  /** After a seal or a stored segment: queue merges, and keep the byte cap of the last retention. */
  private afterNewSegment(bytes: number): void {
    this.merger.wake();
    const drop = this.retention.afterNewSegment(bytes, this.index.totalBytes, this.index.list[0]);
    if (!drop) return;
    void this.merger.exclusive(() => this.index.removeOldestWhile(drop, this.writer.hasActive ? 0 : 1)).catch((err: unknown) => this.merger.noteFailure(err));
  }
}
