import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { WalError } from '../errors.js';
import { DEFAULT_MAX_SEGMENT_BYTES } from '../limits.js';
import { io } from './fsIo.js';
import { PackFiles } from './packFiles.js';
import { WrittenFiles } from './writtenFiles.js';
import { parsePackFileName } from './segmentPack.js';
import {
  checkpointFileName, parseCheckpointFileName, parseSegmentFileName, segmentFileName, type ActiveSegment, type SegmentBytes, type SegmentStore,
} from './segmentStore.js';

const fsyncFd = promisify(fs.fsync);

/** How a FileSegmentStore lays out segments (wal.packSegments; see writtenFiles.ts and packFiles.ts). */
export interface FileLayout {
  /** A file, or a pack, takes segments until it holds this many bytes (normally `wal.maxSegmentBytes`). */
  readonly packBytes: number;
  /** Append new segments to the newest file (true) or give each its own (false). */
  readonly packSegments: boolean;
}

const DEFAULT_LAYOUT: FileLayout = { packBytes: DEFAULT_MAX_SEGMENT_BYTES, packSegments: true };

/**
 * Segments and checkpoints as files in one directory, for one shard: the
 * segments this node writes in `.wal` files (writtenFiles.ts), those it
 * receives from a leader in `.wals` packs (packFiles.ts), checkpoints each in
 * a file of its own. `sync: 'none'` skips every fsync (the OS flushes when it
 * likes).
 */
export class FileSegmentStore implements SegmentStore {
  readonly kind = 'file' as const;
  private written!: WrittenFiles;
  private packs!: PackFiles;

  private constructor(readonly dir: string, readonly shardId: number, private readonly fsyncEnabled: boolean, readonly appendsSegments: boolean) {}

  static async open(dir: string, shardId: number, fsyncEnabled: boolean, layout: FileLayout = DEFAULT_LAYOUT): Promise<FileSegmentStore> {
    await io(`creating directory ${dir}`, () => fs.promises.mkdir(dir, { recursive: true }));
    const store = new FileSegmentStore(dir, shardId, fsyncEnabled, layout.packSegments);
    const syncDir = () => store.syncDir();
    store.written = await WrittenFiles.open(dir, shardId, { packBytes: layout.packBytes, appendable: layout.packSegments, fsyncEnabled, syncDir });
    store.packs = await PackFiles.open(dir, shardId, layout.packBytes, fsyncEnabled, syncDir);
    return store;
  }

  /** What open cut off the end of a segment file or pack (a torn append), if anything. */
  get tornAtOpen(): { file: string; offset: number; discardedBytes: number } | null {
    return this.written.tornTail ?? this.packs.tornTail;
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  async listSegments(): Promise<number[]> {
    const written = this.written.ids();
    for (const id of written) {
      if (this.packs.has(id)) throw new WalError('Corruption', `${this.dir}: segment ${id} is both in ${this.written.locate(id)} and in ${this.packs.locate(id)}`);
    }
    return [...written, ...this.packs.ids()].sort((a, b) => a - b);
  }

  /** The file (and, when it shares one, the offset) holding a segment, for messages. */
  locate(segmentId: number): string {
    return this.packs.locate(segmentId) ?? this.written.locate(segmentId) ?? segmentFileName(this.shardId, segmentId);
  }

  isReceived(segmentId: number): boolean {
    return this.packs.has(segmentId);
  }

  isPacked(segmentId: number): boolean {
    return this.packs.has(segmentId) || this.written.isPacked(segmentId);
  }

  async readSegment(segmentId: number): Promise<Uint8Array> {
    if (this.packs.has(segmentId)) return this.packs.read(segmentId);
    if (this.written.has(segmentId)) return this.written.read(segmentId);
    const file = this.file(segmentFileName(this.shardId, segmentId));
    return io(`reading ${file}`, () => fs.promises.readFile(file));
  }

  readSegmentSync(): null {
    return null;
  }

  createActive(segmentId: number, header: Uint8Array): ActiveSegment {
    return this.written.createActive(segmentId, header);
  }

  reopenActive(segmentId: number, length: number): Promise<ActiveSegment> {
    return this.written.reopenActive(segmentId, length);
  }

  /** A merge's output: written atomically over the file of its last input (which holds only that segment). */
  async writeSegment(segmentId: number, bytes: Uint8Array): Promise<void> {
    await this.writeAtomically(segmentFileName(this.shardId, segmentId), bytes);
    this.written.replaced(segmentId, bytes.length);
  }

  writeSegmentSync(): false {
    return false;
  }

  /** Appends shipped segments to the newest segment pack: one fdatasync for the group (see packFiles.ts). */
  appendSealed(group: readonly SegmentBytes[], undoFailed: (err: unknown) => void): Promise<void> {
    return this.packs.append(group, undoFailed);
  }

  appendSealedSync(): false {
    return false;
  }

  async removeSegment(segmentId: number): Promise<void> {
    if (this.packs.has(segmentId)) return this.packs.remove(segmentId);
    if (this.written.has(segmentId)) return this.written.remove(segmentId);
    const file = this.file(segmentFileName(this.shardId, segmentId));
    await io(`removing ${file}`, () => fs.promises.rm(file, { force: true }));
  }

  async listCheckpoints(): Promise<number[]> {
    const names = await io(`listing ${this.dir}`, () => fs.promises.readdir(this.dir));
    return names.map(parseCheckpointFileName)
      .filter((p): p is NonNullable<typeof p> => p !== null && p.shardId === this.shardId)
      .map((p) => p.seq)
      .sort((a, b) => a - b);
  }

  async readCheckpoint(seq: number): Promise<Uint8Array> {
    const file = this.file(checkpointFileName(this.shardId, seq));
    return io(`reading ${file}`, () => fs.promises.readFile(file));
  }

  async writeCheckpoint(seq: number, bytes: Uint8Array): Promise<void> {
    await this.writeAtomically(checkpointFileName(this.shardId, seq), bytes);
  }

  async removeCheckpoint(seq: number): Promise<void> {
    const file = this.file(checkpointFileName(this.shardId, seq));
    await io(`removing ${file}`, () => fs.promises.rm(file, { force: true }));
  }

  async close(): Promise<void> {
    this.written.close();
    this.packs.close();
  }

  /**
   * Makes every segment and checkpoint file durable, then the directory.
   * After a crash the page cache may hold a footer or a batch that never
   * reached the disk: open reads them back and builds on them, so it syncs
   * them first (bounded: the WAL file count is bounded, see wal-format.md).
   */
  async syncAll(): Promise<void> {
    if (!this.fsyncEnabled) return;
    const names = await io(`listing ${this.dir}`, () => fs.promises.readdir(this.dir));
    const ours = names.filter((n) => {
      const seg = parseSegmentFileName(n) ?? parsePackFileName(n);
      const ckpt = parseCheckpointFileName(n);
      return (seg !== null && seg.shardId === this.shardId) || (ckpt !== null && ckpt.shardId === this.shardId);
    });
    for (const name of ours) {
      await io(`fsync of ${this.file(name)}`, async () => {
        const handle = await fs.promises.open(this.file(name), 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
    }
    await this.syncDir();
  }

  /** Write to a temp name, fsync, rename over the final name, fsync the directory. */
  private async writeAtomically(name: string, bytes: Uint8Array): Promise<void> {
    const final = this.file(name);
    const temp = `${final}.tmp`;
    await io(`writing ${temp}`, async () => {
      const handle = await fs.promises.open(temp, 'w');
      try {
        await handle.writeFile(bytes);
        if (this.fsyncEnabled) await handle.sync();
      } finally {
        await handle.close();
      }
    });
    await io(`renaming ${temp} to ${final}`, () => fs.promises.rename(temp, final));
    await this.syncDir();
  }

  async syncDir(): Promise<void> {
    if (!this.fsyncEnabled) return;
    await io(`fsync of directory ${this.dir}`, async () => {
      const fd = await promisify(fs.open)(this.dir, 'r');
      try {
        await fsyncFd(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }
}
