/**
 * The WAL's background file work, one task at a time: merging small sealed
 * segments (planMerge, mergeSegments) and removing the files merges and
 * covering segments leave behind. Retention runs through `exclusive()`, so
 * it never interleaves with a merge.
 *
 * A merge, and what a crash after each step leaves (open copes with all of
 * it; docs/wal-format.md, "Merging sealed segments"):
 *   1. read the inputs (cached, or read back and verified);
 *   2. write the merged segment to `<last input>.wal.tmp`, fsync;
 *      crash: a stray .tmp, ignored; the inputs are intact.
 *   3. rename it over the last input's file, fsync the directory;
 *      crash: the merged file plus some older inputs it covers, which open
 *      removes (and tolerates a gap among them, since the merge covers it).
 *   4. swap the run for the merged segment in the index;
 *   5. remove the other inputs, newest first (each a stray until removed).
 *
 * Failures: reading an input or writing the temp file aborts the merge
 * (counted in `stats`; the next seal tries again). A failure at or after the
 * rename leaves the directory holding the inputs or the merge, unknown
 * which is durable: the log stops, as for a failed fsync of a seal.
 */
import { WalError } from '../errors.js';
import { type MergedSegment, mergeSegments } from './mergeSegments.js';
import { type MergeCandidate, type MergePolicy, planMerge } from './planMerge.js';
import type { SealedSegmentIndex } from './sealedSegmentIndex.js';
import type { SegmentStore } from './segmentStore.js';
import type { SealedSegmentInfo } from './walSegmentPayload.js';

/** What merging has done so far (counts since open). */
export interface MergeStats {
  /** Merges completed. */
  merges: number;
  /** Segments merged away (inputs minus outputs). */
  segmentsMerged: number;
  /** Bytes written by merges. */
  bytesWritten: number;
  /**
   * Merges abandoned, or files not removed, after an I/O error (merges are
   * retried at the next seal, merge inputs and covered files by the next
   * pass; a file retention failed to remove between checkpoints stays until
   * the next open lists it again, covered by a checkpoint).
   */
  failures: number;
  /** The last such error, or null. */
  lastError: WalError | null;
}

export interface SegmentMergerDeps {
  readonly store: SegmentStore;
  readonly index: SealedSegmentIndex;
  /** Null: no merging (only stray removal). */
  readonly policy: MergePolicy | null;
  /** The active segment's id, or null: never removed as a stray. */
  readonly activeId: () => number | null;
  /** Stops the log. */
  readonly fail: (err: unknown) => void;
  /** True once the log stopped. */
  readonly failed: () => boolean;
}

export class SegmentMerger {
  readonly stats: MergeStats = { merges: 0, segmentsMerged: 0, bytesWritten: 0, failures: 0, lastError: null };
  /** Segment files no longer in the index that are still to be removed. */
  private readonly strays = new Set<number>();
  private tail: Promise<unknown> = Promise.resolve();
  private passQueued = false;
  private closed = false;

  constructor(private readonly deps: SegmentMergerDeps) {}

  /** Queues a pass (merges and stray removal), unless one is queued already. Call after each seal or store. */
  wake(): void {
    if (this.passQueued || this.closed || (this.deps.policy === null && this.strays.size === 0)) return;
    this.passQueued = true;
    void this.exclusive(async () => {
      this.passQueued = false;
      await this.pass();
    }).catch((err: unknown) => this.deps.fail(err)); // only a broken invariant gets here
  }

  /** Files to remove in a later pass (segments dropped from the index as covered). */
  removeLater(segmentIds: readonly number[]): void {
    for (const id of segmentIds) this.strays.add(id);
    this.wake();
  }

  /** Runs `task` once every queued pass and task has settled, and before any queued after it. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Resolves once every pass queued so far has run. */
  async settled(): Promise<void> {
    await this.tail;
  }

  /** Runs no pass after the one in progress; resolves when it has finished. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }

  private stopped(): boolean {
    return this.closed || this.deps.failed();
  }

  private async pass(): Promise<void> {
    if (this.stopped() || !(await this.removeStrays())) return;
    const policy = this.deps.policy;
    if (policy === null) return;
    for (let run = planMerge(this.candidates(), policy); run && !this.stopped(); run = planMerge(this.candidates(), policy)) {
      if (!(await this.merge(this.deps.index.list.slice(run.start, run.end)))) return;
    }
  }

  /** The sealed segments as the plan sees them: a segment in a pack is never merged (the pack bounds the files). */
  private candidates(): readonly MergeCandidate[] {
    const list = this.deps.index.list;
    const isPacked = this.deps.store.isPacked?.bind(this.deps.store);
    return isPacked ? list.map((s) => ({ ...s, packed: isPacked(s.segmentId) })) : list;
  }

  /** Steps 1-5 of the file comment; false when it was abandoned. */
  private async merge(inputs: readonly SealedSegmentInfo[]): Promise<boolean> {
    const last = inputs[inputs.length - 1]!;
    let parts: Uint8Array[];
    try {
      parts = [];
      for (const info of inputs) parts.push(await this.deps.index.bytesOf(info));
    } catch (err) {
      return this.abandon(err);
    }
    const merged = mergeSegments(parts);
    try {
      await this.deps.store.writeSegment(last.segmentId, merged.bytes);
    } catch (err) {
      return this.afterFailedWrite(inputs, merged, err);
    }
    this.stats.bytesWritten += merged.bytes.length;
    // Not replaced: a covering segment dropped the run meanwhile, and its files (this one too) are strays already.
    if (!this.deps.index.replaceRun(inputs, merged.info, merged.bytes)) return true;
    this.stats.merges++;
    this.stats.segmentsMerged += inputs.length - 1;
    for (const info of inputs.slice(0, -1)) this.strays.add(info.segmentId);
    return this.removeStrays();
  }

  /**
   * After writeSegment failed: if the last input's file still holds the
   * input, the rename never happened and the merge is only abandoned.
   * Otherwise the directory holds the merge, perhaps not durably: stop (the
   * index then lists the merge if that is what the file holds now, so reads
   * until the reopen match the file).
   */
  private async afterFailedWrite(inputs: readonly SealedSegmentInfo[], merged: MergedSegment, err: unknown): Promise<boolean> {
    const last = inputs[inputs.length - 1]!;
    const now = await this.deps.store.readSegment(last.segmentId).catch(() => null);
    if (now !== null && last.checksum.matches(now)) return this.abandon(err);
    if (now !== null && merged.info.checksum.matches(now)) this.deps.index.replaceRun(inputs, merged.info, merged.bytes);
    this.deps.fail(new WalError('Io', `merging sealed segments into segment ${last.segmentId} failed after its file may have been replaced: ${(err as Error).message}`, { cause: err }));
    return false;
  }

  /** Counts a failure of background work outside a merge (retention between checkpoints). */
  noteFailure(err: unknown): void {
    this.abandon(err);
  }

  private abandon(err: unknown): false {
    this.stats.failures++;
    this.stats.lastError = err instanceof WalError ? err : new WalError('Io', `merging sealed segments failed: ${(err as Error).message}`, { cause: err });
    return false;
  }

  /** Removes stray files, newest first; false (the rest kept for later) on a failure. */
  private async removeStrays(): Promise<boolean> {
    for (const id of [...this.strays].sort((a, b) => b - a)) {
      if (this.deps.index.has(id) || this.deps.activeId() === id) {
        this.strays.delete(id); // back in use: not a stray (a broken invariant would have to put it there)
        continue;
      }
      try {
        await this.deps.store.removeSegment(id);
      } catch (err) {
        return this.abandon(err);
      }
      this.strays.delete(id);
    }
    return true;
  }
}
