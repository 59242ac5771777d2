/**
 * The writing half of the log: queues events (group commit: one batch and
 * one fdatasync for every write that arrives while the last flush runs),
 * cuts them into batches that fit the active segment, seals segments (by
 * size and on request) and makes them durable. Sealed segments go to
 * `publish`; the Wal indexes and ships them. A failure stops the writer:
 * every later write and seal is refused with it (fail-stop).
 */
import { WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import { MAX_BATCH_EVENTS } from '../limits.js';
import { type ActiveState, appendBatchTo, newActiveState, sealActiveState } from './activeSegment.js';
import { encodeBatch } from './batch.js';
import { fitBatch } from './fitBatch.js';
import { PendingEvents } from './pendingEvents.js';
import { FOOTER_BYTES } from './segmentFooter.js';
import { encodeSegmentHeader } from './segmentHeader.js';
import type { ActiveSegment, SegmentStore } from './segmentStore.js';
import { deferred, SyncQueue } from './syncQueue.js';
import type { WalConfig } from './walConfig.js';
import type { SealedSegmentInfo, WalSegmentPayload } from './walSegmentPayload.js';

export class SegmentWriter {
  private readonly pending: PendingEvents;
  private readonly syncs: SyncQueue;
  private failure: WalError | null = null;
  /**
   * Every segment handle this log opened and has not closed: the active one
   * and those being sealed. close() releases what a failure left behind.
   */
  private readonly handles = new Set<ActiveSegment>();
  private written: number;

  constructor(
    private readonly store: SegmentStore,
    private readonly config: WalConfig,
    private active: ActiveState | null,
    private segmentIdNext: number,
    recoveredSeq: number,
    private readonly publish: (info: SealedSegmentInfo, bytes: Uint8Array) => WalSegmentPayload,
  ) {
    this.written = recoveredSeq;
    this.pending = new PendingEvents(config.durability !== 'memory', () => this.flushPending());
    this.syncs = new SyncQueue((err) => this.fail(err));
    if (active) this.handles.add(active.handle);
  }

  get failed(): WalError | null {
    return this.failure;
  }

  get activeId(): number | null {
    return this.active?.handle.segmentId ?? null;
  }

  get hasActive(): boolean {
    return this.active !== null;
  }

  get activeBytes(): number {
    return this.active?.length ?? 0;
  }

  get unsealedEvents(): number {
    return (this.active?.eventCount ?? 0) + this.pending.length;
  }

  get writtenSeq(): number {
    return this.written;
  }

  get nextSegmentId(): number {
    return this.segmentIdNext;
  }

  reserveSegmentIds(next: number): void {
    this.segmentIdNext = Math.max(this.segmentIdNext, next);
  }

  /** A segment stored from a leader (followers): its id is taken, its seqnos written. */
  noteStored(segmentId: number, lastSeq: number | null): void {
    this.segmentIdNext = Math.max(this.segmentIdNext, segmentId + 1);
    if (lastSeq !== null) this.written = Math.max(this.written, lastSeq);
  }

  append(event: WalEvent): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const done = this.pending.push(event);
    if (this.pending.length >= MAX_BATCH_EVENTS) this.flushPending();
    return done;
  }

  appendAll(events: readonly WalEvent[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const done = this.pending.pushAll(events);
    if (this.pending.length >= MAX_BATCH_EVENTS) this.flushPending();
    return done;
  }

  flushPending(): void {
    if (this.failure) return;
    const taken = this.pending.take();
    if (!taken) return;
    const { events, group } = taken;
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

  /** Releases every handle (in memory the active one is only dropped); returns the first error met, or null. */
  releaseAll(): unknown {
    let error: unknown = null;
    for (const handle of [...this.handles]) {
      // In memory, closing the active segment would store it as a whole segment: it is only dropped.
      if (this.config.durability === 'memory' && handle === this.active?.handle) continue;
      try {
        this.release(handle);
      } catch (err) {
        error ??= err;
      }
    }
    return error;
  }

  fail(err: unknown): void {
    if (this.failure) return;
    this.failure = err instanceof WalError ? err : new WalError('Io', `write-ahead log failed: ${(err as Error).message}`, { cause: err });
    this.pending.rejectGroup(this.failure);
  }

  /**
   * Appends `events` as batches of at most MAX_BATCH_EVENTS, each cut so
   * that it fits the active segment's room (its footer counted): a segment
   * stays within maxSegmentBytes, unless one event alone is larger (a big
   * item text), which then has a segment of its own. When not even one
   * event fits, the segment seals and the next one takes it.
   */
  private appendEvents(events: readonly WalEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const active = this.active ?? this.openSegment(events[i]!.seq);
      const room = this.config.maxSegmentBytes - FOOTER_BYTES - active.length; // the footer counts too
      const { chunk, bytes } = fitBatch(events, i, room, (c) => encodeBatch(this.config.shardId, c, this.config.clock()));
      if (bytes.length > room && active.eventCount > 0) {
        // Not even one more event fits: seal this segment and put it at the start of the next.
        void this.sealActive().catch(() => {});
        continue;
      }
      appendBatchTo(active, chunk, bytes);
      this.written = active.lastSeq;
      if (active.length + FOOTER_BYTES >= this.config.maxSegmentBytes) void this.sealActive().catch(() => {});
      i += chunk.length;
    }
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
    this.active = newActiveState(handle, header, firstSeq);
    return this.active;
  }

  private sealActive(): Promise<WalSegmentPayload> {
    const active = this.active!;
    this.active = null;
    const { bytes, info } = sealActiveState(active, this.config.clock());
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
}
