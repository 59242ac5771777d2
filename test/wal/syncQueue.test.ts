import { describe, expect, it } from 'vitest';
import { deferred, SyncQueue } from '../../src/wal/syncQueue.js';
import type { ActiveSegment } from '../../src/wal/segmentStore.js';

/** A segment that counts its syncs; each sync takes a macrotask. */
function countingSegment(segmentId: number): ActiveSegment & { syncs: number; closed: boolean } {
  return {
    segmentId, syncs: 0, closed: false,
    append() {},
    sync() {
      this.syncs++;
      return new Promise((r) => setImmediate(r));
    },
    close() {
      this.closed = true;
    },
  };
}

describe('SyncQueue', () => {
  it('a commit and the seal of its segment in the same tick share one fdatasync (ship on commit costs one sync, not two)', async () => {
    const q = new SyncQueue(() => {});
    const seg = countingSegment(1);
    const group = deferred();
    let durable = false;
    q.syncFor(seg, group);
    q.seal(seg, () => seg.close(), () => (durable = true));
    await group.promise;
    await q.drain();
    expect(seg.syncs).toBe(1);
    expect(seg.closed).toBe(true);
    expect(durable).toBe(true);
  });

  it('groups that arrive while a sync runs share the next one', async () => {
    const q = new SyncQueue(() => {});
    const seg = countingSegment(1);
    const first = deferred();
    q.syncFor(seg, first);
    await Promise.resolve(); // the first sync starts
    await Promise.resolve();
    const later = [deferred(), deferred(), deferred()];
    for (const g of later) q.syncFor(seg, g);
    await Promise.all([first.promise, ...later.map((g) => g.promise)]);
    expect(seg.syncs).toBe(2);
  });

  it('a seal never absorbs a sync of another segment, and runs after it', async () => {
    const q = new SyncQueue(() => {});
    const a = countingSegment(1);
    const b = countingSegment(2);
    const order: string[] = [];
    const g = deferred();
    q.syncFor(a, g);
    void g.promise.then(() => order.push('a synced'));
    q.seal(b, () => b.close(), () => order.push('b sealed'));
    await q.drain();
    expect([a.syncs, b.syncs]).toEqual([1, 1]);
    expect(order).toEqual(['a synced', 'b sealed']);
  });

  it('a failed sync fails every waiting group, and later ones, with the same error', async () => {
    let reported: unknown = null;
    const q = new SyncQueue((err) => (reported = err));
    const seg = countingSegment(1);
    seg.sync = () => Promise.reject(new Error('EIO'));
    const g1 = deferred();
    q.syncFor(seg, g1);
    await expect(g1.promise).rejects.toThrow('EIO');
    const g2 = deferred();
    q.syncFor(seg, g2);
    await expect(g2.promise).rejects.toThrow('EIO');
    expect(reported).toBeInstanceOf(Error);
  });
});
