/**
 * SimDisk: a `SegmentStore` of kind 'file' over a SimVolume, in virtual
 * time, as one process sees it. It behaves as FileSegmentStore does with
 * `sync: 'fsync'` (same names, same EEXIST/ENOENT cases, atomic writes as
 * temp + fsync + rename + directory fsync, a directory fsync after an active
 * segment's first sync, unlinks made durable only by a later directory
 * fsync), and it can fail:
 * - `faults.armEio(n)`: the n-th operation from now fails with `WalError` `Io`;
 * - `faults.failNextSync()`: the next fsync fails (nothing it covered is durable);
 * - `faults.armCrash(point)`: the process dies when an operation of a kind
 *   starts (or right after its effect, before the caller hears of it);
 * - `afterPowerLoss()`: the disk a power loss leaves (torn and lost tails,
 *   entry changes kept or not), for the next incarnation of the node.
 * Once dead (crashed or restarted) a disk does nothing: its Promises never
 * settle and its appends are dropped, as for a process that is gone.
 */
import type { SchedulerLike } from 'rxjs';
import { type ActiveSegment, type SegmentStore, WalError } from '../../src/index.js';
import type { SegmentBytes } from '../../src/wal/segmentStore.js';
import { checkpointFileName, parseCheckpointFileName, parseSegmentFileName, segmentFileName } from '../../src/wal/segmentStore.js';
import { DiskFaults, type DiskOp, type Entry as FaultEntry } from './diskFaults.js';
import { SimFile } from './simFile.js';
import { SimVolume } from './simVolume.js';

export interface SimDiskEnv {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly shardId: number;
  /** fsync latency, virtual ms, [min, max]. */
  readonly syncMs: readonly [number, number];
  /** Told when an armed crash point is reached; the node must be crashed at once. */
  readonly onCrashPoint: (what: string) => void;
  /** Told of every operation (verbose traces), or null. */
  readonly log: ((line: string) => void) | null;
}

const NEVER = new Promise<never>(() => {});
/** What an operation does on entry: nothing (the process is dead), or as DiskFaults says. */
type Entry = 'stop' | FaultEntry;

export class SimDisk implements SegmentStore {
  readonly kind = 'file' as const;
  /** The faults armed on this disk (armEio, failNextSync, armCrash, disarm), and its operation count. */
  readonly faults = new DiskFaults();
  private dead = false;

  constructor(readonly volume: SimVolume, private readonly env: SimDiskEnv) {}

  get isDead(): boolean {
    return this.dead;
  }

  /** This process is gone: nothing it started completes. */
  kill(): void {
    this.dead = true;
  }

  /** The disk the next incarnation sees after a power loss. */
  afterPowerLoss(env: SimDiskEnv = this.env): SimDisk {
    this.kill();
    return new SimDisk(this.volume.afterPowerLoss(this.env.random), env);
  }

  /** The disk the next incarnation sees after this process exited (the page cache survives). */
  afterRestart(env: SimDiskEnv = this.env): SimDisk {
    this.kill();
    return new SimDisk(this.volume, env);
  }

  async listSegments(): Promise<number[]> {
    if (!this.proceeds('list', 'the directory')) return NEVER;
    return this.volume.names().map(parseSegmentFileName)
      .filter((p): p is NonNullable<typeof p> => p !== null && p.shardId === this.env.shardId)
      .map((p) => p.segmentId).sort((a, b) => a - b);
  }

  async readSegment(segmentId: number): Promise<Uint8Array> {
    return this.read(segmentFileName(this.env.shardId, segmentId));
  }

  readSegmentSync(): null {
    return null;
  }

  createActive(segmentId: number, header: Uint8Array): ActiveSegment {
    const name = segmentFileName(this.env.shardId, segmentId);
    if (!this.proceeds('create', name)) return deadSegment(segmentId);
    if (this.volume.get(name)) throw new WalError('Io', `creating ${name} failed: EEXIST (simulated disk)`);
    const file = new SimFile();
    this.volume.link(name, file);
    const segment = new SimActiveSegment(this, segmentId, name, file, true);
    segment.append(header);
    return segment;
  }

  async reopenActive(segmentId: number, length: number): Promise<ActiveSegment> {
    const name = segmentFileName(this.env.shardId, segmentId);
    if (!this.proceeds('reopen', name)) return NEVER;
    const file = this.volume.get(name);
    if (!file) throw new WalError('Io', `opening ${name} failed: ENOENT (simulated disk)`);
    file.truncate(length);
    const segment = new SimActiveSegment(this, segmentId, name, file, false);
    await segment.sync();
    return segment;
  }

  async writeSegment(segmentId: number, bytes: Uint8Array): Promise<void> {
    return this.writeAtomically(segmentFileName(this.env.shardId, segmentId), bytes);
  }

  writeSegmentSync(): false {
    return false;
  }

  /** Stores a group as one atomic file write per segment (the simulated disk has no segment packs). */
  async appendSealed(group: readonly SegmentBytes[], undoFailed: (err: unknown) => void): Promise<void> {
    const written: number[] = [];
    try {
      for (const { segmentId, bytes } of group) {
        await this.writeSegment(segmentId, bytes);
        written.push(segmentId);
      }
    } catch (err) {
      await this.removeSegment(group[written.length]!.segmentId).catch(undoFailed);
      throw err;
    }
  }

  appendSealedSync(): false {
    return false;
  }

  async removeSegment(segmentId: number): Promise<void> {
    return this.remove(segmentFileName(this.env.shardId, segmentId));
  }

  async listCheckpoints(): Promise<number[]> {
    if (!this.proceeds('list', 'the directory')) return NEVER;
    return this.volume.names().map(parseCheckpointFileName)
      .filter((p): p is NonNullable<typeof p> => p !== null && p.shardId === this.env.shardId)
      .map((p) => p.seq).sort((a, b) => a - b);
  }

  async readCheckpoint(seq: number): Promise<Uint8Array> {
    return this.read(checkpointFileName(this.env.shardId, seq));
  }

  async writeCheckpoint(seq: number, bytes: Uint8Array): Promise<void> {
    return this.writeAtomically(checkpointFileName(this.env.shardId, seq), bytes);
  }

  async removeCheckpoint(seq: number): Promise<void> {
    return this.remove(checkpointFileName(this.env.shardId, seq));
  }

  /** fsync of every file, then of the directory (what open does first, after a crash): one latency for all. */
  async syncAll(): Promise<void> {
    const entry = this.enter('sync', 'every file');
    if (!runs(entry)) return NEVER;
    const points = this.volume.names().map((name) => [this.volume.get(name)!, this.volume.get(name)!.syncPoint()] as const);
    await this.wait(this.syncLatency());
    this.faults.checkSync('fsync of every file');
    for (const [file, point] of points) file.makeDurable(point);
    this.volume.syncDir();
    if (entry === 'crashAfter') return this.crash('sync', 'every file');
  }

  async close(): Promise<void> {}

  /** Appends to an active segment (SimActiveSegment's write(2)). */
  appendTo(name: string, file: SimFile, bytes: Uint8Array): void {
    const entry = this.enter('append', name);
    // A crash point on an append: the write itself is torn, then the process is gone.
    if (entry === 'crashBefore') file.append(bytes.subarray(0, Math.floor(this.env.random() * bytes.length)));
    if (entry === 'stop' || entry === 'crashBefore') return;
    file.append(bytes);
    if (entry === 'crashAfter') this.crash('append', name);
  }

  /** fdatasync of an active segment, and the directory fsync after its first one (one latency for both). */
  async syncFile(name: string, file: SimFile, withDir: boolean): Promise<void> {
    const entry = this.enter('sync', name);
    if (!runs(entry)) return NEVER;
    const point = file.syncPoint();
    await this.wait(this.syncLatency());
    this.faults.checkSync(`fdatasync of ${name}`);
    file.makeDurable(point);
    if (withDir) this.volume.syncDir();
    if (entry === 'crashAfter') return this.crash('sync', name);
  }

  private async read(name: string): Promise<Uint8Array> {
    if (!this.proceeds('read', name)) return NEVER;
    const file = this.volume.get(name);
    if (!file) throw new WalError('Io', `reading ${name} failed: ENOENT (simulated disk)`);
    return Uint8Array.from(file.bytes());
  }

  private async remove(name: string): Promise<void> {
    if (!this.proceeds('remove', name)) return NEVER;
    this.volume.unlink(name);
  }

  /**
   * Temp file, fsync, rename over `name`, directory fsync: after one
   * latency the file is visible and durable. A crash before that leaves no
   * trace of it (the temp file has no segment or checkpoint name).
   */
  private async writeAtomically(name: string, bytes: Uint8Array): Promise<void> {
    const entry = this.enter('write', name);
    if (!runs(entry)) return NEVER;
    const file = SimFile.durableWith(Uint8Array.from(bytes));
    await this.wait(this.syncLatency());
    this.faults.checkSync(`writing ${name}.tmp`);
    this.volume.link(name, file);
    this.volume.syncDir();
    if (entry === 'crashAfter') return this.crash('write', name);
  }

  /** Enters an operation with no crash point after its effect (one placed there fires before it): false when the process is (now) dead. */
  private proceeds(op: DiskOp, name: string): boolean {
    const entry = this.enter(op, name);
    if (entry !== 'crashAfter') return runs(entry);
    this.crash(op, name);
    return false;
  }

  /** Enters an operation: 'stop' when the process is dead; a crash point striking before the effect kills it now. */
  private enter(op: DiskOp, name: string): Entry {
    if (this.dead) return 'stop';
    this.env.log?.(`#${this.faults.stats.ops + 1} ${op} ${name}`);
    const entry = this.faults.enter(op, name);
    if (entry === 'crashBefore') this.crash(op, name);
    return entry;
  }

  private crash(op: DiskOp, name: string): Promise<never> {
    this.dead = true;
    this.env.onCrashPoint(`${op} of ${name}`);
    return NEVER;
  }

  private syncLatency(): number {
    const [min, max] = this.env.syncMs;
    return min + Math.floor(this.env.random() * (max - min + 1));
  }

  /** Resolves after `ms` virtual ms, unless the process died meanwhile (then never). */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.env.scheduler.schedule(() => {
        if (!this.dead) resolve();
      }, ms);
    });
  }
}

/** An active segment file of a SimDisk. */
class SimActiveSegment implements ActiveSegment {
  constructor(
    private readonly disk: SimDisk,
    readonly segmentId: number,
    private readonly name: string,
    private readonly file: SimFile,
    private needsDirSync: boolean,
  ) {}

  append(bytes: Uint8Array): void {
    this.disk.appendTo(this.name, this.file, bytes);
  }

  async sync(): Promise<void> {
    const withDir = this.needsDirSync;
    await this.disk.syncFile(this.name, this.file, withDir);
    if (withDir) this.needsDirSync = false;
  }

  close(): void {}
}

function runs(entry: Entry): boolean {
  return entry === 'go' || entry === 'crashAfter';
}

function deadSegment(segmentId: number): ActiveSegment {
  return { segmentId, append: () => {}, sync: () => NEVER, close: () => {} };
}
