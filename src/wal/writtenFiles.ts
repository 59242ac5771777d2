/**
 * The segment files a node writes itself (`.wal`), each holding one or more
 * segments back to back (docs/wal-format.md, "Several segments in one
 * file"). With `appendable`, a new segment goes to the end of the newest
 * file while that holds less than `packBytes`: sealing a small segment costs
 * no new file and no directory fsync. Without it (the merge-based layout),
 * every segment gets a file of its own.
 *
 * Segments are addressed by id, as the store's callers always did; this
 * class knows where each one is: `[file, offset, length]`. The newest
 * segment of the newest file may be unsealed (the active segment), and
 * after a crash mid-seal one more may follow it (splitWritten); recovery
 * (openWal, dropAfterUnsealed) judges them exactly as it judged separate
 * files, and removing or cutting the last segment of the newest file cuts
 * the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WalError } from '../errors.js';
import { fdatasync, io, ioSync, LastFileBytes, shardFiles } from './fsIo.js';
import { hasIntactBatchFrom } from './decodeSegment.js';
import { splitWritten } from './segmentPack.js';
import { AppendedSegment, type SegmentFile } from './appendedSegment.js';
import { type ActiveSegment, parseSegmentFileName, segmentFileName } from './segmentStore.js';


/** Bytes cut off the newest file at open: a torn header of a segment appended to it. */
export interface WrittenTornTail {
  readonly file: string;
  readonly offset: number;
  readonly discardedBytes: number;
}

export class WrittenFiles {
  private readonly files: SegmentFile[] = [];
  private readonly byId = new Map<number, SegmentFile>();
  tornTail: WrittenTornTail | null = null;
  private readonly lastRead = new LastFileBytes();

  private constructor(
    private readonly dir: string,
    private readonly shardId: number,
    private readonly packBytes: number,
    private readonly appendable: boolean,
    private readonly fsyncEnabled: boolean,
    private readonly syncDir: () => Promise<void>,
  ) {}

  static async open(
    dir: string, shardId: number, options: { packBytes: number; appendable: boolean; fsyncEnabled: boolean; syncDir: () => Promise<void> },
  ): Promise<WrittenFiles> {
    const files = new WrittenFiles(dir, shardId, options.packBytes, options.appendable, options.fsyncEnabled, options.syncDir);
    const found = await shardFiles(dir, shardId, parseSegmentFileName);
    for (const [i, [name, firstId]] of found.entries()) await files.load(name, firstId, i === found.length - 1);
    return files;
  }

  ids(): number[] {
    return [...this.byId.keys()];
  }

  has(segmentId: number): boolean {
    return this.byId.has(segmentId);
  }

  /** A segment that shares its file, or sits in the file new segments go to: never merged (a merge replaces whole files). */
  isPacked(segmentId: number): boolean {
    const file = this.byId.get(segmentId);
    return file !== undefined && (file.segments.size > 1 || (this.appendable && file === this.files.at(-1)));
  }

  locate(segmentId: number): string | null {
    const file = this.byId.get(segmentId);
    if (!file) return null;
    const [offset] = file.segments.get(segmentId)!;
    return offset === 0 ? file.name : `${file.name} at byte ${offset}`;
  }

  async read(segmentId: number): Promise<Uint8Array> {
    const file = this.byId.get(segmentId)!;
    const [offset, length] = file.segments.get(segmentId)!;
    return this.lastRead.read(this.file(file.name), offset, length);
  }

  /** Starts segment `segmentId` with `header`: at the end of the newest file when it has room, else in a file of its own. */
  createActive(segmentId: number, header: Uint8Array): ActiveSegment {
    const tail = this.files.at(-1);
    const append = this.appendable && tail !== undefined && tail.size < this.packBytes;
    const file = append ? tail! : this.newFile(segmentId);
    this.fdOf(file);
    file.segments.set(segmentId, [file.size, 0]);
    this.byId.set(segmentId, file);
    const segment = new AppendedSegment(this, file, segmentId, file.size, !append);
    file.users++;
    try {
      segment.append(header);
    } catch (err) {
      this.cutOff(file, segmentId); // the caller never gets the handle
      file.users--;
      if (!append) this.forgetNewFile(file); // as before packing: the empty file stays for recovery, its descriptor goes
      throw err;
    }
    return segment;
  }

  /** Continues segment `segmentId` (the newest file's last) cut to `length` bytes. */
  async reopenActive(segmentId: number, length: number): Promise<ActiveSegment> {
    const file = this.byId.get(segmentId);
    if (!file || file !== this.files.at(-1)) throw new WalError('Io', `segment ${segmentId} is not the last segment of the newest file: it cannot be continued`);
    const [offset] = file.segments.get(segmentId)!;
    const fd = this.fdOf(file);
    this.lastRead.forget();
    ioSync(`truncating ${file.name} to ${offset + length} bytes`, () => fs.ftruncateSync(fd, offset + length));
    file.size = offset + length;
    file.segments.set(segmentId, [offset, length]);
    const segment = new AppendedSegment(this, file, segmentId, offset, false);
    file.users++;
    segment.grown(length);
    await segment.sync();
    return segment;
  }

  /**
   * Forgets a segment; its file goes once it holds none. The last segment of
   * the newest file is cut off the file (durably), so a segment recovery
   * removes never comes back.
   */
  async remove(segmentId: number): Promise<void> {
    const file = this.byId.get(segmentId);
    if (!file) return;
    const [offset, length] = file.segments.get(segmentId)!;
    this.lastRead.forget();
    this.byId.delete(segmentId);
    file.segments.delete(segmentId);
    if (file.segments.size === 0) {
      this.closeFd(file);
      this.files.splice(this.files.indexOf(file), 1);
      await io(`removing ${this.file(file.name)}`, () => fs.promises.rm(this.file(file.name), { force: true }));
      return;
    }
    if (file === this.files.at(-1) && offset + length === file.size) {
      const fd = this.fdOf(file);
      await io(`cutting ${file.name} at byte ${offset}`, async () => {
        fs.ftruncateSync(fd, offset);
        if (this.fsyncEnabled) await fdatasync(fd);
      });
      file.size = offset;
    }
  }

  /** After a merge wrote `<segmentId>.wal` (temp file and rename): that file now holds exactly this segment. */
  replaced(segmentId: number, length: number): void {
    this.lastRead.forget();
    const name = segmentFileName(this.shardId, segmentId);
    const file = this.files.find((f) => f.name === name);
    if (!file) return;
    for (const id of file.segments.keys()) this.byId.delete(id);
    file.segments.clear();
    file.segments.set(segmentId, [0, length]);
    file.size = length;
    this.byId.set(segmentId, file);
  }

  names(): string[] {
    return this.files.map((f) => f.name);
  }

  close(): void {
    for (const file of this.files) this.closeFd(file);
  }

  /** @internal An active segment handle on `file` was closed: its descriptor goes once no handle needs it and it is not the newest. */
  release(file: SegmentFile): void {
    file.users = Math.max(0, file.users - 1);
    if (file.users === 0 && file !== this.files.at(-1)) this.closeFd(file);
  }

  /** @internal AppendedSegment's write at a file offset. */
  writeAt(file: SegmentFile, bytes: Uint8Array, position: number): void {
    this.lastRead.forget();
    const fd = this.fdOf(file);
    let written = 0;
    while (written < bytes.length) {
      written += ioSync(`appending to ${this.file(file.name)}`, () => fs.writeSync(fd, bytes, written, bytes.length - written, position + written));
    }
    file.size = Math.max(file.size, position + bytes.length);
  }

  /** @internal */
  async syncFile(file: SegmentFile, withDir: boolean): Promise<void> {
    if (!this.fsyncEnabled) return;
    const fd = this.fdOf(file);
    await io(`fdatasync of ${this.file(file.name)}`, () => fdatasync(fd));
    if (withDir) await this.syncDir();
  }

  private fdOf(file: SegmentFile): number {
    file.fd ??= ioSync(`opening ${this.file(file.name)}`, () => fs.openSync(this.file(file.name), 'r+'));
    return file.fd;
  }

  private newFile(segmentId: number): SegmentFile {
    const name = segmentFileName(this.shardId, segmentId);
    const fd = ioSync(`creating ${this.file(name)}`, () => fs.openSync(this.file(name), 'wx'));
    const before = this.files.at(-1);
    const file: SegmentFile = { name, size: 0, segments: new Map(), fd, users: 0 };
    this.files.push(file);
    if (before && before.users === 0) this.closeFd(before);
    return file;
  }

  private forgetNewFile(file: SegmentFile): void {
    this.files.splice(this.files.indexOf(file), 1);
    try {
      this.closeFd(file);
    } catch {
      // close(2) releases the descriptor even when it reports an error
    }
  }

  private cutOff(file: SegmentFile, segmentId: number): void {
    this.lastRead.forget();
    const [offset] = file.segments.get(segmentId)!;
    file.segments.delete(segmentId);
    this.byId.delete(segmentId);
    try {
      if (file.fd !== null) fs.ftruncateSync(file.fd, offset);
      file.size = offset;
    } catch {
      // The open fails anyway, and recovery judges whatever landed.
    }
  }

  private closeFd(file: SegmentFile): void {
    if (file.fd === null) return;
    const fd = file.fd;
    file.fd = null;
    ioSync(`closing ${this.file(file.name)}`, () => fs.closeSync(fd));
  }

  private async load(name: string, nameId: number, newest: boolean): Promise<void> {
    const where = this.file(name);
    const bytes = await io(`reading ${where}`, () => fs.promises.readFile(where));
    const layout = splitWritten(bytes);
    const file: SegmentFile = { name, size: bytes.length, segments: new Map(), fd: null, users: 0 };
    // The first segment is named by the file (recovery checks its header against the name).
    if (layout.segments.length === 0) file.segments.set(nameId, [0, bytes.length]);
    for (const [i, s] of layout.segments.entries()) file.segments.set(i === 0 ? nameId : s.segmentId, [s.offset, s.length]);
    if (layout.end < bytes.length && layout.segments.length > 0) {
      // Past the last segment: only the torn header of a segment just appended (no intact batch behind it).
      if (!newest || hasIntactBatchFrom(bytes, layout.end)) throw new WalError('Corruption', `${where}: no segment at byte ${layout.end} of ${bytes.length}`);
      await io(`cutting the torn tail of ${where} at byte ${layout.end}`, () => fs.promises.truncate(where, layout.end));
      this.tornTail = { file: name, offset: layout.end, discardedBytes: bytes.length - layout.end };
      file.size = layout.end;
    }
    for (const id of file.segments.keys()) {
      if (this.byId.has(id)) throw new WalError('Corruption', `${where}: segment ${id} is also in ${this.byId.get(id)!.name}`);
      this.byId.set(id, file);
    }
    this.files.push(file);
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }
}
