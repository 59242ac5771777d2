/**
 * The least a durable write can cost in Node, for the lag floors: append
 * buffers to one file and fdatasync, sharing each fdatasync among whatever
 * was handed in while the previous one ran (group commit, as tidaldb's WAL
 * and a follower's segment packs do). No tidaldb code.
 */
import * as fs from 'node:fs';

export class GroupCommitter {
  private pending: Array<{ bytes: Uint8Array; done: () => void }> = [];
  private syncing = false;

  constructor(private readonly fd: number) {}

  /** Calls `done` once `bytes` is written and fdatasynced. */
  commit(bytes: Uint8Array, done: () => void): void {
    this.pending.push({ bytes, done });
    if (!this.syncing) this.flush();
  }

  private flush(): void {
    const group = this.pending;
    this.pending = [];
    this.syncing = true;
    fs.writev(this.fd, group.map((g) => g.bytes), (writeErr) => {
      if (writeErr) throw writeErr;
      fs.fdatasync(this.fd, (syncErr) => {
        if (syncErr) throw syncErr;
        this.syncing = false;
        for (const g of group) g.done();
        if (this.pending.length > 0) this.flush();
      });
    });
  }
}
