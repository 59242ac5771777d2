/**
 * The sealed segments of one WAL: their descriptors in seqno order, and a
 * bounded in-memory cache of recent ones' bytes so shipping to followers
 * that keep up never reads the disk. Older bytes are read back and checked
 * against the checksum taken when they were sealed.
 */
import { catchError, defer, EMPTY, from, map, type Observable, of, throwError } from 'rxjs';
import { WalError } from '../errors.js';
import { SEGMENT_READ_ATTEMPTS } from '../limits.js';
import { headerMetaKey } from './segmentHeader.js';
import type { SegmentStore } from './segmentStore.js';
import { firstSegmentAfter, type SealedSegmentInfo, type WalSegmentPayload } from './walSegmentPayload.js';

export class SealedSegmentIndex {
  private readonly infos: SealedSegmentInfo[] = [];
  private readonly cache = new Map<number, Uint8Array>();
  private cacheBytes = 0;
  /** Bytes of every segment in `infos`, kept as they change. */
  private heldBytes = 0;

  /** @param cacheLimitBytes bytes of recent segments kept in memory (file-backed stores only) */
  constructor(
    private readonly store: SegmentStore,
    private readonly shardId: number,
    private readonly cacheLimitBytes: number,
    initial: readonly SealedSegmentInfo[],
  ) {
    this.infos.push(...initial);
    for (const info of initial) this.heldBytes += info.byteLength;
  }

  /** Descriptors, oldest first. */
  get list(): readonly SealedSegmentInfo[] {
    return this.infos;
  }

  /** Adds (or replaces the newest with the same id) a segment and caches its bytes. */
  record(info: SealedSegmentInfo, bytes: Uint8Array): WalSegmentPayload {
    const last = this.infos[this.infos.length - 1];
    if (last && last.segmentId === info.segmentId) this.heldBytes -= this.infos.pop()!.byteLength;
    this.infos.push(info);
    this.heldBytes += info.byteLength;
    if (this.store.kind === 'file') this.cacheBytesOf(info.segmentId, bytes);
    return toPayload(this.shardId, info, bytes);
  }

  /**
   * The segment holding the first seqno after `seq`, or nothing. A read from
   * disk that fails after a merge or retention replaced or removed the file
   * (the descriptor is no longer in the index) looks again, up to
   * SEGMENT_READ_ATTEMPTS times in all.
   */
  next$(seq: number, attempts = SEGMENT_READ_ATTEMPTS): Observable<WalSegmentPayload> {
    return defer(() => {
      const i = firstSegmentAfter(this.infos, seq);
      if (i < 0) return EMPTY;
      const info = this.infos[i]!;
      const bytes = this.cache.get(info.segmentId) ?? this.store.readSegmentSync(info.segmentId);
      if (bytes) return of(toPayload(this.shardId, info, bytes));
      return from(this.store.readSegment(info.segmentId)).pipe(
        map((b) => this.verified(info, b)),
        catchError((err: unknown) => (attempts > 1 && !this.infos.includes(info) ? this.next$(seq, attempts - 1) : throwError(() => err))),
      );
    });
  }

  /** The bytes of a segment in the index: cached, in memory, or read back and verified against its checksum. */
  async bytesOf(info: SealedSegmentInfo): Promise<Uint8Array> {
    const bytes = this.cache.get(info.segmentId) ?? this.store.readSegmentSync(info.segmentId);
    if (bytes) return bytes;
    return this.verified(info, await this.store.readSegment(info.segmentId)).bytes;
  }

  /**
   * Replaces the run `inputs` (consecutive in the index, oldest first) by the
   * segment that merges them. False, changing nothing, when the run is no
   * longer in the index as it was (a follower stored a segment covering it).
   */
  replaceRun(inputs: readonly SealedSegmentInfo[], merged: SealedSegmentInfo, bytes: Uint8Array): boolean {
    const start = this.infos.indexOf(inputs[0]!);
    if (start < 0 || inputs.some((info, k) => this.infos[start + k] !== info)) return false;
    this.infos.splice(start, inputs.length, merged);
    this.heldBytes += merged.byteLength;
    for (const info of inputs) {
      this.heldBytes -= info.byteLength;
      this.uncache(info.segmentId);
    }
    if (this.store.kind === 'file') this.cacheBytesOf(merged.segmentId, bytes);
    return true;
  }

  /**
   * Drops the newest descriptors that `info` (a segment about to be recorded)
   * covers: those starting at or after its first seqno (a follower storing a
   * leader's merged segment that repeats segments it stores). Returns them;
   * their files are the caller's to remove.
   */
  dropCoveredBy(info: SealedSegmentInfo): SealedSegmentInfo[] {
    const dropped: SealedSegmentInfo[] = [];
    for (let last = this.infos.at(-1); last && last.segmentId !== info.segmentId && last.firstSeq >= info.firstSeq && last.lastSeq <= info.lastSeq; last = this.infos.at(-1)) {
      dropped.unshift(this.infos.pop()!);
      this.heldBytes -= last.byteLength;
      this.uncache(last.segmentId);
    }
    return dropped;
  }

  /** True when a segment with this id is in the index. */
  has(segmentId: number): boolean {
    return this.infos.some((info) => info.segmentId === segmentId);
  }

  /** Bytes of all sealed segments held. */
  get totalBytes(): number {
    return this.heldBytes;
  }

  /** Removes the oldest segments while `removable(oldest, bytesHeld)` says so, keeping at least `minKept`. */
  async removeOldestWhile(removable: (oldest: SealedSegmentInfo, bytesHeld: number) => boolean, minKept: number): Promise<number> {
    let removed = 0;
    let held = this.totalBytes;
    while (this.infos.length > minKept && removable(this.infos[0]!, held)) {
      held -= this.infos[0]!.byteLength;
      const info = this.infos.shift()!;
      this.heldBytes -= info.byteLength;
      this.uncache(info.segmentId);
      await this.store.removeSegment(info.segmentId);
      removed++;
    }
    return removed;
  }

  private cacheBytesOf(segmentId: number, bytes: Uint8Array): void {
    this.cache.set(segmentId, bytes);
    this.cacheBytes += bytes.length;
    for (const id of this.cache.keys()) {
      if (this.cacheBytes <= this.cacheLimitBytes) break;
      this.uncache(id);
    }
  }

  private uncache(segmentId: number): void {
    const bytes = this.cache.get(segmentId);
    if (!bytes) return;
    this.cache.delete(segmentId);
    this.cacheBytes -= bytes.length;
  }

  private verified(info: SealedSegmentInfo, bytes: Uint8Array): WalSegmentPayload {
    if (!info.checksum.matches(bytes)) {
      throw new WalError('Corruption', `segment ${info.segmentId} changed on disk since it was sealed: checksum mismatch over ${bytes.length} bytes`);
    }
    return toPayload(this.shardId, info, bytes);
  }
}

export function toPayload(shardId: number, info: SealedSegmentInfo, bytes: Uint8Array): WalSegmentPayload {
  return {
    shardId, segmentId: info.segmentId, firstSeq: info.firstSeq, lastSeq: info.lastSeq,
    sealedAtMs: info.sealedAtMs, bytes, checksum: info.checksum,
  };
}

export function toInfo(p: WalSegmentPayload): SealedSegmentInfo {
  return {
    segmentId: p.segmentId, firstSeq: p.firstSeq, lastSeq: p.lastSeq,
    sealedAtMs: p.sealedAtMs, byteLength: p.bytes.length, checksum: p.checksum, metaKey: headerMetaKey(p.bytes),
  };
}
