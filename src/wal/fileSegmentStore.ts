import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { WalError } from '../errors.js';
import { DEFAULT_MAX_SEGMENT_BYTES } from '../limits.js';
import { PackFiles, type PackTornTail } from './packFiles.js';
import { parsePackFileName } from './segmentPack.js';
import {
  checkpointFileName, parseCheckpointFileName, parseSegmentFileName, segmentFileName, type ActiveSegment, type SegmentBytes, type SegmentStore,
} from './segmentStore.js';

const fdatasync = promisify(fs.fdatasync);
const fsyncFd = promisify(fs.fsync);

/**
 * Segments and checkpoints as files in one directory, for one shard.
 * `sync: 'none'` skips every fsync (the OS flushes when it likes).
 */
export class FileSegmentStore implements SegmentStore {
  readonly kind = 'file' as const;

  private packs!: PackFiles;

  private constructor(readonly dir: string, readonly shardId: number, private readonly fsyncEnabled: boolean) {}

  /**
   * @param packBytes a segment pack takes appended segments until it holds this many bytes
   *   (normally `wal.maxSegmentBytes`; see segmentPack.ts)
   */
  static async open(dir: string, shardId: number, fsyncEnabled: boolean, packBytes = DEFAULT_MAX_SEGMENT_BYTES): Promise<FileSegmentStore> {
    await io(`creating directory ${dir}`, () => fs.promises.mkdir(dir, { recursive: true }));
    const store = new FileSegmentStore(dir, shardId, fsyncEnabled);
    store.packs = await PackFiles.open(dir, shardId, packBytes, fsyncEnabled, () => store.syncDir());
    return store;
  }

  /** A torn append cut off the newest segment pack at open, if any. */
  get packTornTail(): PackTornTail | null {
    return this.packs.tornTail;
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  async listSegments(): Promise<number[]> {
    const names = await io(`listing ${this.dir}`, () => fs.promises.readdir(this.dir));
    const single = names.map(parseSegmentFileName)
      .filter((p): p is NonNullable<typeof p> => p !== null && p.shardId === this.shardId)
      .map((p) => p.segmentId);
    for (const id of single) {
      if (this.packs.has(id)) throw new WalError('Corruption', `${this.dir}: segment ${id} is both in ${segmentFileName(this.shardId, id)} and in ${this.packs.locate(id)}`);
    }
    return [...single, ...this.packs.ids()].sort((a, b) => a - b);
  }

  /** The file (and, in a pack, the offset) holding a segment, for messages. */
  locate(segmentId: number): string {
    return this.packs.locate(segmentId) ?? segmentFileName(this.shardId, segmentId);
  }

  isPacked(segmentId: number): boolean {
    return this.packs.has(segmentId);
  }

  async readSegment(segmentId: number): Promise<Uint8Array> {
    if (this.packs.has(segmentId)) return this.packs.read(segmentId);
    const file = this.file(segmentFileName(this.shardId, segmentId));
    return io(`reading ${file}`, () => fs.promises.readFile(file));
  }

  readSegmentSync(): null {
    return null;
  }

  createActive(segmentId: number, header: Uint8Array): ActiveSegment {
    const file = this.file(segmentFileName(this.shardId, segmentId));
    const fd = ioSync(`creating ${file}`, () => fs.openSync(file, 'wx'));
    const segment = new FileActiveSegment(segmentId, file, fd, 0, this.fsyncEnabled, () => this.syncDir());
    try {
      segment.append(header);
    } catch (err) {
      segment.close(); // the caller never gets the handle: release its descriptor here
      throw err;
    }
    return segment;
  }

  async reopenActive(segmentId: number, length: number): Promise<ActiveSegment> {
    const file = this.file(segmentFileName(this.shardId, segmentId));
    const fd = ioSync(`opening ${file}`, () => fs.openSync(file, 'r+'));
    const segment = new FileActiveSegment(segmentId, file, fd, length, this.fsyncEnabled, null);
    try {
      ioSync(`truncating ${file} to ${length} bytes`, () => fs.ftruncateSync(fd, length));
      await segment.sync();
    } catch (err) {
      segment.close(); // the caller never gets the handle: release its descriptor here
      throw err;
    }
    return segment;
  }

  async writeSegment(segmentId: number, bytes: Uint8Array): Promise<void> {
    await this.writeAtomically(segmentFileName(this.shardId, segmentId), bytes);
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

async function io<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw new WalError('Io', `${what} failed: ${(cause as Error).message}`, { cause });
  }
}

function ioSync<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw new WalError('Io', `${what} failed: ${(cause as Error).message}`, { cause });
  }
}

/** The file behind an active segment: positional appends, fdatasync, and one directory fsync after its creation. */
class FileActiveSegment implements ActiveSegment {
  constructor(
    readonly segmentId: number,
    private readonly file: string,
    private readonly fd: number,
    private size: number,
    private readonly fsyncEnabled: boolean,
    private syncDirOnce: (() => Promise<void>) | null,
  ) {}

  append(bytes: Uint8Array): void {
    let written = 0;
    while (written < bytes.length) {
      written += ioSync(`appending to ${this.file}`, () =>
        fs.writeSync(this.fd, bytes, written, bytes.length - written, this.size + written));
    }
    this.size += bytes.length;
  }

  async sync(): Promise<void> {
    if (!this.fsyncEnabled) return;
    await io(`fdatasync of ${this.file}`, () => fdatasync(this.fd));
    const syncDir = this.syncDirOnce;
    this.syncDirOnce = null;
    if (syncDir) await syncDir();
  }

  close(): void {
    ioSync(`closing ${this.file}`, () => fs.closeSync(this.fd));
  }
}
