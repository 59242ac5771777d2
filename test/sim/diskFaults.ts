/**
 * DiskFaults: the faults armed on one SimDisk, and the count of its
 * operations they are placed by. `enter` is called as each operation starts:
 * it throws the armed EIO, or says whether an armed crash point strikes
 * before or after the operation's effect.
 */
import { WalError } from '../../src/index.js';

export type DiskOp = 'list' | 'read' | 'create' | 'append' | 'sync' | 'reopen' | 'write' | 'remove';

/** Where the process dies: at the (skip + 1)-th operation of kind `op` from now. */
export interface CrashPoint {
  readonly op: DiskOp;
  readonly skip: number;
  /** Die right after the operation took effect (durable), before its caller hears of it. */
  readonly afterEffect: boolean;
}

/** What an operation does once entered: its work, after dying first, or its work then dying. */
export type Entry = 'go' | 'crashBefore' | 'crashAfter';

export interface DiskStats {
  ops: number;
  eio: number;
  fsyncFailures: number;
}

export class DiskFaults {
  readonly stats: DiskStats = { ops: 0, eio: 0, fsyncFailures: 0 };
  private eioAtOp: number | null = null;
  private syncFailures = 0;
  private crashPoint: { op: DiskOp; skip: number; afterEffect: boolean } | null = null;

  /** The `inOps`-th operation from now fails with EIO. */
  armEio(inOps: number): void {
    this.eioAtOp = this.stats.ops + Math.max(1, inOps);
  }

  /** The next fsync fails (nothing it covered becomes durable). */
  failNextSync(): void {
    this.syncFailures++;
  }

  armCrash(point: CrashPoint): void {
    this.crashPoint = { ...point };
  }

  disarm(): void {
    this.eioAtOp = null;
    this.syncFailures = 0;
    this.crashPoint = null;
  }

  /** Counts an operation that starts; throws its EIO, or returns where a crash point strikes. */
  enter(op: DiskOp, name: string): Entry {
    this.stats.ops++;
    if (this.eioAtOp !== null && this.stats.ops >= this.eioAtOp) {
      this.eioAtOp = null;
      this.stats.eio++;
      throw new WalError('Io', `${op} of ${name} failed: EIO (simulated, operation #${this.stats.ops})`);
    }
    const point = this.crashPoint;
    if (!point || point.op !== op) return 'go';
    if (point.skip > 0) {
      point.skip--;
      return 'go';
    }
    this.crashPoint = null;
    return point.afterEffect ? 'crashAfter' : 'crashBefore';
  }

  /** Throws the armed fsync failure, if one is armed. */
  checkSync(what: string): void {
    if (this.syncFailures === 0) return;
    this.syncFailures--;
    this.stats.fsyncFailures++;
    throw new WalError('Io', `${what} failed: EIO on fsync (simulated)`);
  }
}
