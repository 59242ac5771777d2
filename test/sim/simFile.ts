/**
 * SimFile: one file of the simulated disk, as the page cache holds it and as
 * the platter holds it. Appends and truncations change the cache at once;
 * `makeDurable` (an fsync that completed) makes what the cache held when
 * the fsync started durable; a power loss keeps the durable bytes plus,
 * perhaps, some of what was never synced: whole appends, or a torn prefix
 * of one.
 *
 * While the cache only grew since the last fsync, the durable bytes are a
 * prefix of it and only their length is kept (an fsync copies nothing).
 */

const EMPTY = new Uint8Array(0);

/** How a power loss treats bytes written but not synced (weights of the four outcomes, in order). */
export interface TearWeights {
  /** Every unsynced byte is lost. */
  readonly loseAll: number;
  /** Every unsynced byte made it anyway (the OS flushed them). */
  readonly keepAll: number;
  /** The first k unsynced appends made it, whole. */
  readonly keepAppends: number;
  /** The first k appends made it and a prefix of the next one: a torn write. */
  readonly tear: number;
}

export const DEFAULT_TEAR_WEIGHTS: TearWeights = { loseAll: 0.35, keepAll: 0.15, keepAppends: 0.2, tear: 0.3 };

/** What an fsync started now covers: the cache length now. */
export type SyncPoint = number;

export class SimFile {
  private chunks: Uint8Array[] = [];
  private joined: Uint8Array = EMPTY;
  private cachedLength = 0;
  /** Durable bytes: the first `durableLength` bytes of the cache, unless `durableCopy` holds them. */
  private durableLength = 0;
  /** The durable bytes, kept apart once a truncation cut the cache below them (until the next fsync). */
  private durableCopy: Uint8Array | null = null;
  /** Cache length at the end of each append since the last sync, ascending. */
  private unsyncedEnds: number[] = [];

  /** A file whose whole content is durable (what a power loss leaves, or a completed atomic write). */
  static durableWith(bytes: Uint8Array): SimFile {
    const file = new SimFile();
    file.chunks = [bytes];
    file.joined = bytes;
    file.cachedLength = bytes.length;
    file.durableLength = bytes.length;
    return file;
  }

  get length(): number {
    return this.cachedLength;
  }

  /** The cached content (what a read returns). Callers must not modify it. */
  bytes(): Uint8Array {
    if (this.chunks.length !== 1 || this.joined.length !== this.cachedLength) {
      this.joined = this.chunks.length === 0 ? EMPTY : Buffer.concat(this.chunks, this.cachedLength);
      this.chunks = [this.joined];
    }
    return this.joined;
  }

  append(bytes: Uint8Array): void {
    this.chunks.push(Uint8Array.from(bytes));
    this.cachedLength += bytes.length;
    this.unsyncedEnds.push(this.cachedLength);
  }

  truncate(length: number): void {
    if (length < this.durableLength && this.durableCopy === null) this.durableCopy = Uint8Array.from(this.durableBytes());
    const cut = this.bytes().subarray(0, Math.min(length, this.cachedLength));
    this.chunks = [cut];
    this.joined = cut;
    this.cachedLength = cut.length;
    this.unsyncedEnds = this.unsyncedEnds.filter((end) => end <= this.cachedLength);
  }

  /** What an fsync started now will make durable when it completes. */
  syncPoint(): SyncPoint {
    return this.cachedLength;
  }

  /** An fsync that started at `point` completed. */
  makeDurable(point: SyncPoint): void {
    if (point > this.cachedLength) return; // truncated below it since: the truncation's own fsync decides
    this.durableCopy = null;
    this.durableLength = point;
    this.unsyncedEnds = this.unsyncedEnds.filter((end) => end > point);
  }

  /** The bytes a power loss leaves. */
  afterPowerLoss(random: () => number, weights: TearWeights = DEFAULT_TEAR_WEIGHTS): Uint8Array {
    if (this.durableCopy !== null) return random() < 0.5 ? this.durableCopy : this.bytes();
    const ends = this.unsyncedEnds;
    const durable = this.durableBytes();
    if (ends.length === 0) return durable;
    const cache = this.bytes();
    const total = weights.loseAll + weights.keepAll + weights.keepAppends + weights.tear;
    let r = random() * total;
    if ((r -= weights.loseAll) < 0) return durable;
    if ((r -= weights.keepAll) < 0) return cache;
    const k = Math.floor(random() * ends.length);
    if ((r -= weights.keepAppends) < 0) return cache.subarray(0, ends[k]!);
    // Torn: appends before i whole, then a strict prefix of append i (the last one half the time).
    const i = random() < 0.5 ? ends.length - 1 : k;
    const start = i === 0 ? this.durableLength : ends[i - 1]!;
    const end = ends[i]!;
    return cache.subarray(0, start + Math.floor(random() * (end - start)));
  }

  private durableBytes(): Uint8Array {
    return this.durableCopy ?? this.bytes().subarray(0, this.durableLength);
  }
}
