/**
 * The segment packs of one shard's directory (segmentPack.ts says what a
 * pack is): found at open, appended to as a follower stores segments, read
 * back by segment id, and removed once every segment in one is dropped.
 *
 * - Appending: the group's bytes go to the end of the newest pack (a new
 *   pack once it holds `packBytes`), then one fdatasync; a new pack's name is
 *   made durable by a directory fsync. A failed append is cut off again
 *   (ftruncate back) so the pack holds only what was stored.
 * - A crash mid-append leaves a torn tail on the newest pack: open cuts it
 *   (it was never acknowledged) and reports it. Anything else that is not a
 *   whole segment (in an older pack, or a later segment header past the
 *   tear) is `Corruption`.
 * - Dropping a segment only forgets it; the file goes once all of its
 *   segments are dropped. After a reopen the dropped ones are listed again,
 *   below the checkpoint that let them go, and are dropped again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WalError } from '../errors.js';
import { fdatasync, io, ioSync, LastFileBytes, shardFiles } from './fsIo.js';
import type { SegmentBytes } from './segmentStore.js';
import { hasWholeSegmentFrom, packFileName, parsePackFileName, splitPack } from './segmentPack.js';

interface Pack {
  readonly name: string;
  readonly firstSegmentId: number;
  size: number;
  /** Live segments: id -> [offset, length]. */
  readonly segments: Map<number, readonly [number, number]>;
}

/** A cut torn tail, for recovery's report. */
export interface PackTornTail {
  readonly file: string;
  readonly offset: number;
  readonly discardedBytes: number;
}


export class PackFiles {
  private readonly packs: Pack[] = [];
  private readonly byId = new Map<number, Pack>();
  /** The newest pack's descriptor while open for appends. */
  private tailFd: number | null = null;
  tornTail: PackTornTail | null = null;
  private readonly lastRead = new LastFileBytes();

  private constructor(
    private readonly dir: string,
    private readonly shardId: number,
    private readonly packBytes: number,
    private readonly fsyncEnabled: boolean,
    private readonly syncDir: () => Promise<void>,
  ) {}

  /** Finds the packs in `dir` and cuts a torn tail off the newest one. */
  static async open(dir: string, shardId: number, packBytes: number, fsyncEnabled: boolean, syncDir: () => Promise<void>): Promise<PackFiles> {
    const files = new PackFiles(dir, shardId, packBytes, fsyncEnabled, syncDir);
    const found = await shardFiles(dir, shardId, (name) => {
      const p = parsePackFileName(name);
      return p && { shardId: p.shardId, segmentId: p.firstSegmentId };
    });
    for (const [i, [name, firstId]] of found.entries()) await files.load(name, firstId, i === found.length - 1);
    return files;
  }

  /** Ids of the live packed segments. */
  ids(): number[] {
    return [...this.byId.keys()];
  }

  has(segmentId: number): boolean {
    return this.byId.has(segmentId);
  }

  /** `<file> at byte <offset>`: where a packed segment is, for messages. */
  locate(segmentId: number): string | null {
    const pack = this.byId.get(segmentId);
    const at = pack?.segments.get(segmentId);
    return pack && at ? `${pack.name} at byte ${at[0]}` : null;
  }

  async read(segmentId: number): Promise<Uint8Array> {
    const pack = this.byId.get(segmentId)!;
    const [offset, length] = pack.segments.get(segmentId)!;
    return this.lastRead.read(this.file(pack.name), offset, length);
  }

  /**
   * Appends `group` (in order) to the newest pack, or a new one, and makes it
   * durable with one fdatasync. On failure the append is cut off again and
   * the error rethrown; `undoFailed` is told when even that failed (the pack
   * may then hold segments this node never applied).
   */
  async append(group: readonly SegmentBytes[], undoFailed: (err: unknown) => void): Promise<void> {
    if (group.length === 0) return;
    const fresh = this.tailFd === null || this.packs.at(-1)!.size >= this.packBytes;
    if (fresh) this.startPack(group[0]!.segmentId);
    const pack = this.packs.at(-1)!;
    const fd = this.tailFd!;
    const before = pack.size;
    this.lastRead.forget();
    try {
      let at = before;
      for (const { bytes } of group) {
        for (let written = 0; written < bytes.length;) written += fs.writeSync(fd, bytes, written, bytes.length - written, at + written);
        at += bytes.length;
      }
      if (this.fsyncEnabled) await fdatasync(fd);
      if (fresh) await this.syncDir();
    } catch (cause) {
      try {
        fs.ftruncateSync(fd, before);
      } catch (undo) {
        undoFailed(new WalError('Io', `cutting a failed append off ${pack.name} failed: ${(undo as Error).message}`, { cause: undo }));
      }
      throw cause instanceof WalError ? cause : new WalError('Io', `appending to ${this.file(pack.name)} failed: ${(cause as Error).message}`, { cause });
    }
    for (const { segmentId, bytes } of group) {
      pack.segments.set(segmentId, [pack.size, bytes.length]);
      pack.size += bytes.length;
      this.byId.set(segmentId, pack);
    }
  }

  /**
   * Forgets a packed segment; removes its pack once none of its segments is
   * live. The last segment of the newest pack is cut off the file (durably),
   * so that undoing a store leaves no trace a reopen would read back.
   */
  async remove(segmentId: number): Promise<void> {
    const pack = this.byId.get(segmentId);
    if (!pack) return;
    const [offset, length] = pack.segments.get(segmentId)!;
    this.lastRead.forget();
    pack.segments.delete(segmentId);
    this.byId.delete(segmentId);
    if (pack.segments.size > 0) {
      if (pack === this.packs.at(-1) && this.tailFd !== null && offset + length === pack.size) await this.cutTail(pack, offset);
      return;
    }
    if (pack === this.packs.at(-1)) this.closeTail();
    this.packs.splice(this.packs.indexOf(pack), 1);
    const file = this.file(pack.name);
    await io(`removing ${file}`, () => fs.promises.rm(file, { force: true }));
  }

  private async cutTail(pack: Pack, offset: number): Promise<void> {
    const fd = this.tailFd!;
    await io(`cutting ${pack.name} at byte ${offset}`, async () => {
      fs.ftruncateSync(fd, offset);
      if (this.fsyncEnabled) await fdatasync(fd);
    });
    pack.size = offset;
  }

  /** The pack file names (for syncAll). */
  names(): string[] {
    return this.packs.map((p) => p.name);
  }

  close(): void {
    this.closeTail();
  }

  private async load(name: string, firstSegmentId: number, newest: boolean): Promise<void> {
    const file = this.file(name);
    const bytes = await io(`reading ${file}`, () => fs.promises.readFile(file));
    const layout = splitPack(bytes);
    if (layout.end < bytes.length && (!newest || hasWholeSegmentFrom(bytes, layout.end + 1))) {
      throw new WalError('Corruption', `${file}: no whole sealed segment at byte ${layout.end} of ${bytes.length}`);
    }
    if (layout.end < bytes.length) {
      await io(`cutting the torn tail of ${file} at byte ${layout.end}`, () => fs.promises.truncate(file, layout.end));
      this.tornTail = { file: name, offset: layout.end, discardedBytes: bytes.length - layout.end };
    }
    if (layout.segments.length === 0) {
      // What a failed first append to a new pack leaves: nothing stored.
      await io(`removing the empty ${file}`, () => fs.promises.rm(file, { force: true }));
      return;
    }
    const pack: Pack = { name, firstSegmentId, size: layout.end, segments: new Map() };
    for (const s of layout.segments) {
      if (this.byId.has(s.segmentId)) throw new WalError('Corruption', `${file}: segment ${s.segmentId} at byte ${s.offset} is also in ${this.byId.get(s.segmentId)!.name}`);
      pack.segments.set(s.segmentId, [s.offset, s.length]);
      this.byId.set(s.segmentId, pack);
    }
    this.packs.push(pack);
    if (newest) this.tailFd = ioSync(`opening ${file}`, () => fs.openSync(file, 'r+'));
  }

  private startPack(firstSegmentId: number): void {
    this.closeTail();
    const name = packFileName(this.shardId, firstSegmentId);
    this.tailFd = ioSync(`creating ${this.file(name)}`, () => fs.openSync(this.file(name), 'wx'));
    this.packs.push({ name, firstSegmentId, size: 0, segments: new Map() });
  }

  private closeTail(): void {
    if (this.tailFd === null) return;
    const fd = this.tailFd;
    this.tailFd = null;
    ioSync(`closing ${this.packs.at(-1)?.name ?? 'a pack'}`, () => fs.closeSync(fd));
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }
}
