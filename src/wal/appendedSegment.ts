/**
 * An active segment inside a file that may hold several (writtenFiles.ts):
 * its appends land at `base` plus what it holds, its sync is the file's
 * fdatasync (and the directory's, once, when the file is new), and closing
 * it only tells the file it is no longer needed.
 */
import type { ActiveSegment } from './segmentStore.js';

/** One segment file and where its segments are. */
export interface SegmentFile {
  readonly name: string;
  size: number;
  /** Segments held: id -> [offset, length], in file order. */
  readonly segments: Map<number, [number, number]>;
  /** Open while segments are appended to it (or it is the newest file). */
  fd: number | null;
  /** Active segment handles not yet closed: a seal's fsync may still run on an older file. */
  users: number;
}

/** What an appended segment asks of the files it lives in (WrittenFiles). */
export interface SegmentFileWriter {
  writeAt(file: SegmentFile, bytes: Uint8Array, position: number): void;
  syncFile(file: SegmentFile, withDir: boolean): Promise<void>;
  release(file: SegmentFile): void;
}

/** A segment being appended at the end of its file, from `base`. */
export class AppendedSegment implements ActiveSegment {
  private length = 0;

  constructor(
    private readonly files: SegmentFileWriter,
    private readonly file: SegmentFile,
    readonly segmentId: number,
    private readonly base: number,
    private syncDirOnce: boolean,
  ) {}

  /** @internal Counts `bytes` already in the file (a reopen). */
  grown(bytes: number): void {
    this.length = bytes;
  }

  append(bytes: Uint8Array): void {
    this.files.writeAt(this.file, bytes, this.base + this.length);
    this.length += bytes.length;
    this.file.segments.set(this.segmentId, [this.base, this.length]);
  }

  async sync(): Promise<void> {
    const withDir = this.syncDirOnce;
    this.syncDirOnce = false;
    await this.files.syncFile(this.file, withDir);
  }

  /** The descriptor is the file's, shared with the next segment: it closes once no segment needs it. */
  close(): void {
    this.files.release(this.file);
  }
}
