/**
 * A `SegmentStore` that counts every operation that touches the disk and
 * fails the k-th one with an EIO, wrapped around a real `FileSegmentStore`
 * on a real directory. Several stores (a leader's and a follower's) can
 * share one `FaultPlan`, so "the k-th operation" counts across all of them.
 *
 * What counts as an operation: every store method that reaches the file
 * system (list, read, create, reopen, write, remove, close) and every
 * method of an active segment (append, sync, close). `readSegmentSync` and
 * `writeSegmentSync` do not: a file store answers them without I/O.
 *
 * The failure is thrown as `FileSegmentStore` itself reports an I/O error: a
 * `WalError` `Io` whose cause is a Node-style `EIO` error. How much of the
 * operation happened first is the fault's `mode`:
 *   - `before`: nothing happened (the call was refused);
 *   - `after`:  the operation took effect, then reported failure (an fsync of
 *     the directory failing after a rename, write(2) failing after its bytes
 *     reached the page cache);
 *   - `torn`:   half of it happened: half of an append's bytes, a temp file
 *     with half of a checkpoint's or segment's bytes.
 * Reads and lists have no effect to tear, so every mode fails them before.
 * With `sticky`, every operation from the k-th on fails (a disk that went away).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WalError } from '../../src/errors.js';
import { DEFAULT_MAX_SEGMENT_BYTES } from '../../src/limits.js';
import { FileSegmentStore } from '../../src/wal/fileSegmentStore.js';
import type { SegmentBytes } from '../../src/wal/segmentStore.js';
import {
  type ActiveSegment, checkpointFileName, segmentFileName, type SegmentStore,
} from '../../src/wal/segmentStore.js';

export type FaultMode = 'before' | 'after' | 'torn';

/** Which operation fails, counted from 1 across every store sharing the plan. */
export class FaultPlan {
  /** Every operation so far, in order: `<op> <detail>`. */
  readonly log: string[] = [];
  /** The operation that was failed, once it has been. */
  failed: string | null = null;
  /** Active segments opened and not yet closed, by label: what a close() should leave empty. */
  readonly openSegments = new Set<string>();

  /** @param failAt 1-based index of the operation to fail; Infinity never fails (a test may move it) */
  constructor(public failAt = Infinity, readonly mode: FaultMode = 'before', readonly sticky = false) {}

  /** Fails the next operation counted. */
  failNext(): void {
    this.failAt = this.log.length + 1;
  }

  /** Also fails the next `count` operations after the planned one (a double fault), each on its own. */
  failNextToo(count: number): void {
    for (let i = 1; i <= count; i++) this.alsoFailing.add(this.log.length + i);
  }

  private readonly alsoFailing = new Set<number>();

  /** Counts one operation; returns true when this one must fail. */
  next(op: string): boolean {
    this.log.push(op);
    const n = this.log.length;
    const fail = this.sticky ? n >= this.failAt : n === this.failAt || this.alsoFailing.has(n);
    if (fail && this.failed === null) this.failed = `#${n} ${op}`;
    return fail;
  }
}

/** The EIO a failing disk returns, as FileSegmentStore reports one. */
export function eio(what: string): WalError {
  const cause = Object.assign(new Error(`EIO: i/o error, ${what}`), { code: 'EIO', errno: -5, syscall: what.split(' ')[0] });
  return new WalError('Io', `${what} failed (injected): ${cause.message}`, { cause });
}

export class FaultyStore implements SegmentStore {
  readonly kind = 'file' as const;

  private constructor(private readonly inner: FileSegmentStore, private readonly plan: FaultPlan, private readonly name: string) {}

  /**
   * Opens a real file store on `dir` behind the fault plan; `name` labels its
   * operations. With `realFsync` false the store's syncs are still counted
   * (and failed) but skip the fdatasync itself: a reopen after an I/O error
   * reads the page cache either way (no power is lost here), and the real
   * fsyncs took about half of each sweep case.
   */
  static async open(dir: string, plan: FaultPlan, name: string, options: { realFsync?: boolean; shardId?: number; packSegments?: boolean } = {}): Promise<FaultyStore> {
    const layout = { packBytes: DEFAULT_MAX_SEGMENT_BYTES, packSegments: options.packSegments ?? true };
    return new FaultyStore(await FileSegmentStore.open(dir, options.shardId ?? 0, options.realFsync ?? true, layout), plan, name);
  }

  private get dir(): string {
    return this.inner.dir;
  }

  get appendsSegments(): boolean {
    return this.inner.appendsSegments;
  }

  get tornAtOpen(): FileSegmentStore['tornAtOpen'] {
    return this.inner.tornAtOpen;
  }

  isPacked(segmentId: number): boolean {
    return this.inner.isPacked(segmentId);
  }

  isReceived(segmentId: number): boolean {
    return this.inner.isReceived(segmentId);
  }

  locate(segmentId: number): string {
    return this.inner.locate(segmentId);
  }

  /** Runs `effect` unless the plan fails this op; `mode` decides how much of it runs first. */
  private async op<T>(what: string, effect: () => Promise<T>, torn?: () => Promise<void>): Promise<T> {
    if (!this.plan.next(`${this.name} ${what}`)) return effect();
    if (this.plan.mode === 'after') await effect();
    else if (this.plan.mode === 'torn' && torn) await torn();
    throw eio(`${this.name} ${what}`);
  }

  private read<T>(what: string, effect: () => Promise<T>): Promise<T> {
    if (this.plan.next(`${this.name} ${what}`)) return Promise.reject(eio(`${this.name} ${what}`));
    return effect();
  }

  listSegments(): Promise<number[]> {
    return this.read('listSegments', () => this.inner.listSegments());
  }

  readSegment(segmentId: number): Promise<Uint8Array> {
    return this.read(`readSegment ${segmentId}`, () => this.inner.readSegment(segmentId));
  }

  readSegmentSync(): null {
    return null;
  }

  createActive(segmentId: number, header: Uint8Array): ActiveSegment {
    const what = `${this.name} createActive ${segmentId}`;
    if (!this.plan.next(what)) return new FaultyActiveSegment(this.inner.createActive(segmentId, header), this.plan, `${this.name} segment ${segmentId}`);
    if (this.plan.mode !== 'before') {
      // The file was created and (half) its header written, then the write failed.
      const file = path.join(this.dir, segmentFileName(this.inner.shardId, segmentId));
      fs.writeFileSync(file, this.plan.mode === 'torn' ? header.subarray(0, header.length >> 1) : header, { flag: 'wx' });
    }
    throw eio(what);
  }

  async reopenActive(segmentId: number, length: number): Promise<ActiveSegment> {
    const handle = await this.op(`reopenActive ${segmentId} at ${length}`, async () => this.inner.reopenActive(segmentId, length));
    return new FaultyActiveSegment(handle, this.plan, `${this.name} segment ${segmentId}`);
  }

  writeSegment(segmentId: number, bytes: Uint8Array): Promise<void> {
    const temp = path.join(this.dir, `${segmentFileName(this.inner.shardId, segmentId)}.tmp`);
    return this.op(`writeSegment ${segmentId}`, () => this.inner.writeSegment(segmentId, bytes), () => halfWrite(temp, bytes));
  }

  writeSegmentSync(): false {
    return false;
  }

  appendSealed(group: readonly SegmentBytes[], undoFailed: (err: unknown) => void): Promise<void> {
    return this.op(`appendSealed ${group.map((g) => g.segmentId).join(',')}`, () => this.inner.appendSealed(group, undoFailed));
  }

  appendSealedSync(): false {
    return false;
  }

  removeSegment(segmentId: number): Promise<void> {
    return this.op(`removeSegment ${segmentId}`, () => this.inner.removeSegment(segmentId));
  }

  listCheckpoints(): Promise<number[]> {
    return this.read('listCheckpoints', () => this.inner.listCheckpoints());
  }

  readCheckpoint(seq: number): Promise<Uint8Array> {
    return this.read(`readCheckpoint ${seq}`, () => this.inner.readCheckpoint(seq));
  }

  writeCheckpoint(seq: number, bytes: Uint8Array): Promise<void> {
    const temp = path.join(this.dir, `${checkpointFileName(this.inner.shardId, seq)}.tmp`);
    return this.op(`writeCheckpoint ${seq}`, () => this.inner.writeCheckpoint(seq, bytes), () => halfWrite(temp, bytes));
  }

  removeCheckpoint(seq: number): Promise<void> {
    return this.op(`removeCheckpoint ${seq}`, () => this.inner.removeCheckpoint(seq));
  }

  close(): Promise<void> {
    return this.op('close', () => this.inner.close());
  }
}

/** An active segment whose append, sync and close count as operations. */
class FaultyActiveSegment implements ActiveSegment {
  constructor(private readonly inner: ActiveSegment, private readonly plan: FaultPlan, private readonly name: string) {
    plan.openSegments.add(name);
  }

  get segmentId(): number {
    return this.inner.segmentId;
  }

  append(bytes: Uint8Array): void {
    const what = `${this.name} append ${bytes.length} bytes`;
    if (!this.plan.next(what)) return this.inner.append(bytes);
    if (this.plan.mode === 'after') this.inner.append(bytes);
    else if (this.plan.mode === 'torn') this.inner.append(bytes.subarray(0, bytes.length >> 1));
    throw eio(what);
  }

  async sync(): Promise<void> {
    const what = `${this.name} sync`;
    if (!this.plan.next(what)) return this.inner.sync();
    // An fsync that fails may or may not have written the pages: 'before' leaves them
    // in the page cache (still read back by a reopen), 'after' and 'torn' sync them.
    if (this.plan.mode !== 'before') await this.inner.sync();
    throw eio(what);
  }

  close(): void {
    const what = `${this.name} close`;
    // close(2) releases the descriptor even when it reports EIO (Linux): always close the real one.
    const fail = this.plan.next(what);
    this.plan.openSegments.delete(this.name);
    this.inner.close();
    if (fail) throw eio(what);
  }
}

async function halfWrite(file: string, bytes: Uint8Array): Promise<void> {
  await fs.promises.writeFile(file, bytes.subarray(0, bytes.length >> 1));
}
