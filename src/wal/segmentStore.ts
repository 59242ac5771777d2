/**
 * Where segment and checkpoint bytes live: files under a directory, or
 * memory. The WAL does all formatting; a store only keeps bytes.
 *
 * The active segment is appended to synchronously (a write(2) into the page
 * cache, or a memory copy) so the writer's state never runs ahead of its
 * bytes; durability is the separate, asynchronous `syncActive()`.
 */
export interface SegmentStore {
  readonly kind: 'memory' | 'file';
  /** Ids of the segments present, ascending. */
  listSegments(): Promise<number[]>;
  /** The whole segment's bytes. */
  readSegment(segmentId: number): Promise<Uint8Array>;
  /** Same, synchronously; memory stores only (returns null for file stores). */
  readSegmentSync(segmentId: number): Uint8Array | null;
  /** Starts a new active segment holding `header`. */
  createActive(segmentId: number, header: Uint8Array): ActiveSegment;
  /** Re-opens an existing segment as active, cut to `length` bytes (torn tail removed). */
  reopenActive(segmentId: number, length: number): Promise<ActiveSegment>;
  /** Writes a complete (sealed) segment atomically: temp file, fsync, rename. */
  writeSegment(segmentId: number, bytes: Uint8Array): Promise<void>;
  /** Same, synchronously; memory stores only (returns false for file stores). */
  writeSegmentSync(segmentId: number, bytes: Uint8Array): boolean;
  /**
   * Stores sealed segments received from a leader, byte for byte, in order,
   * made durable together (a file store appends them to a segment pack with
   * one fdatasync: see packFiles.ts). Rejects if the group is not stored; it
   * is then not in the log, unless `undoFailed` was called: removing what
   * landed failed, and the log must stop.
   */
  appendSealed(group: readonly SegmentBytes[], undoFailed: (err: unknown) => void): Promise<void>;
  /** Same, synchronously; memory stores only (returns false for file stores). */
  appendSealedSync(group: readonly SegmentBytes[]): boolean;
  /** Where a segment is kept (a file name, a pack and offset), for messages; optional. */
  locate?(segmentId: number): string;
  /** True when new segments are appended to a file that holds others (wal.packSegments): no merging needed; optional. */
  readonly appendsSegments?: boolean;
  /** True when the segment was received from a leader and stored whole (in a segment pack): never read as active; optional. */
  isReceived?(segmentId: number): boolean;
  /** True when the segment shares its file, or sits in the one new segments go to (never merged); optional. */
  isPacked?(segmentId: number): boolean;
  /** What opening the store cut off the end of a file holding several segments (a torn append), if anything; optional. */
  readonly tornAtOpen?: { readonly file: string; readonly offset: number; readonly discardedBytes: number } | null;
  /** Deletes a sealed segment (retention, or one a merge covers). */
  removeSegment(segmentId: number): Promise<void>;
  /** Checkpoint seqnos present, ascending. */
  listCheckpoints(): Promise<number[]>;
  /** The bytes of the checkpoint taken at `seq`. */
  readCheckpoint(seq: number): Promise<Uint8Array>;
  /** Writes a checkpoint atomically: temp file, fsync, rename, fsync dir. */
  writeCheckpoint(seq: number, bytes: Uint8Array): Promise<void>;
  /** Deletes the checkpoint taken at `seq` (once a newer one is durable). */
  removeCheckpoint(seq: number): Promise<void>;
  /**
   * Makes every file present durable. Open calls it before reading the log:
   * after a crash, what the page cache holds may not be on disk, and the
   * database must not build on bytes a power loss would take back.
   * Optional: a store without it (memory) has nothing to sync.
   */
  syncAll?(): Promise<void>;
  /** Releases the store (file handles, the directory lock); nothing runs after it resolves. */
  close(): Promise<void>;
}

/** A sealed segment to store: its id and its bytes, kept as they are. */
export interface SegmentBytes {
  readonly segmentId: number;
  readonly bytes: Uint8Array;
}

/** A segment being appended to. Appends are synchronous; durability is `sync()`. */
export interface ActiveSegment {
  readonly segmentId: number;
  /** Appends bytes to the active segment (buffered until the next sync). */
  append(bytes: Uint8Array): void;
  /** Makes every appended byte durable (fdatasync; the directory too after a create). */
  sync(): Promise<void>;
  /** Releases the segment; after a footer, it is sealed. */
  close(): void;
}

const SEGMENT_RE = /^shard-(\d{10})-seg-(\d{20})\.wal$/;
const CHECKPOINT_RE = /^shard-(\d{10})-seq-(\d{20})\.checkpoint$/;

/** `shard-0000000003-seg-00000000000000000042.wal`: lexical order is segment order. */
export function segmentFileName(shardId: number, segmentId: number): string {
  return `shard-${pad(shardId, 10)}-seg-${pad(segmentId, 20)}.wal`;
}

/** `shard-0000000003-seq-00000000000000001234.checkpoint`: the state as of that seqno. */
export function checkpointFileName(shardId: number, seq: number): string {
  return `shard-${pad(shardId, 10)}-seq-${pad(seq, 20)}.checkpoint`;
}

export function parseSegmentFileName(name: string): { shardId: number; segmentId: number } | null {
  const m = SEGMENT_RE.exec(name);
  return m ? { shardId: Number(m[1]), segmentId: Number(m[2]) } : null;
}

export function parseCheckpointFileName(name: string): { shardId: number; seq: number } | null {
  const m = CHECKPOINT_RE.exec(name);
  return m ? { shardId: Number(m[1]), seq: Number(m[2]) } : null;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
