/**
 * The simulated disk itself: what survives a power loss, what a process
 * crash keeps, and how its faults strike. The simulation's G4 verdicts are
 * only as good as this model.
 */
import { describe, expect, it } from 'vitest';
import { TidalDb, WalError } from '../../src/index.js';
import { seededRandom } from '../../streams/seededRandom.js';
import { SimDisk, type SimDiskEnv } from './simDisk.js';
import { SimFile } from './simFile.js';
import { SimScheduler } from './simScheduler.js';
import { SimVolume } from './simVolume.js';

const T0 = 1_704_067_200_000;
const bytes = (...xs: number[]) => Uint8Array.from(xs);

function disk(scheduler: SimScheduler, random: () => number = seededRandom(1), onCrashPoint: (what: string) => void = () => {}): SimDisk {
  const env: SimDiskEnv = { scheduler, random, shardId: 0, syncMs: [2, 2], log: null, onCrashPoint };
  return new SimDisk(new SimVolume(), env);
}

describe('SimFile', () => {
  it('a power loss keeps the synced bytes and a prefix of the rest, torn or not', () => {
    const random = seededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const file = new SimFile();
      file.append(bytes(1, 2, 3));
      file.makeDurable(file.syncPoint());
      file.append(bytes(4, 5, 6, 7));
      file.append(bytes(8, 9));
      const after = file.afterPowerLoss(random);
      expect(after.length).toBeGreaterThanOrEqual(3);
      expect([...after]).toEqual([...file.bytes()].slice(0, after.length));
      seen.add(after.length);
    }
    // Everything lost, torn inside either append, whole appends, everything kept.
    expect([...seen].sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('an fsync covers what was written before it started, not after', () => {
    const file = new SimFile();
    file.append(bytes(1, 2));
    const point = file.syncPoint();
    file.append(bytes(3));
    file.makeDurable(point);
    expect([...file.afterPowerLoss(() => 0)]).toEqual([1, 2]);
  });
});

describe('SimVolume', () => {
  it('an entry change is durable only after a directory fsync; until then a power loss keeps either version', () => {
    const kept = { created: 0, removed: 0 };
    for (let i = 0; i < 200; i++) {
      const volume = new SimVolume();
      volume.link('old', SimFile.durableWith(bytes(1)));
      volume.syncDir();
      volume.unlink('old');
      volume.link('new', SimFile.durableWith(bytes(2)));
      const after = volume.afterPowerLoss(seededRandom(i));
      if (after.get('new')) kept.created++;
      if (after.get('old')) kept.removed++;
      volume.syncDir();
      const synced = volume.afterPowerLoss(seededRandom(i));
      expect(synced.names()).toEqual(['new']);
    }
    expect(kept.created).toBeGreaterThan(50);
    expect(kept.created).toBeLessThan(150);
    expect(kept.removed).toBeGreaterThan(50);
    expect(kept.removed).toBeLessThan(150);
  });
});

describe('SimDisk', () => {
  it('an atomic write is visible and durable once it resolves, and leaves nothing if the process dies first', async () => {
    const scheduler = new SimScheduler(T0);
    const d = disk(scheduler);
    let done = false;
    void d.writeCheckpoint(5, bytes(9, 9)).then(() => (done = true));
    expect(await d.listCheckpoints()).toEqual([]);
    await scheduler.runUntil(T0 + 10);
    expect(done).toBe(true);
    expect([...(await d.afterPowerLoss().readCheckpoint(5))]).toEqual([9, 9]);

    const e = disk(scheduler);
    void e.writeCheckpoint(6, bytes(1));
    const next = e.afterPowerLoss();
    await scheduler.runUntil(T0 + 20);
    expect(await next.listCheckpoints()).toEqual([]);
  });

  it('fails the n-th operation with WalError Io, and an fsync when told to (making nothing durable)', async () => {
    const scheduler = new SimScheduler(T0);
    const d = disk(scheduler, () => 0); // a power loss then loses every unsynced byte
    d.faults.armEio(2);
    await d.listSegments();
    await expect(d.listCheckpoints()).rejects.toMatchObject({ name: 'WalError', code: 'Io' });
    const segment = d.createActive(1, bytes(1, 2, 3));
    d.faults.failNextSync();
    const synced = segment.sync();
    synced.catch(() => {}); // asserted below
    await scheduler.runUntil(T0 + 10);
    await expect(synced).rejects.toBeInstanceOf(WalError);
    const after = d.afterPowerLoss();
    for (const id of await after.listSegments()) expect((await after.readSegment(id)).length).toBe(0);
  });

  it('a crash point stops the process there: the operation never completes and nothing later happens', async () => {
    const scheduler = new SimScheduler(T0);
    const crashes: string[] = [];
    const d = disk(scheduler, seededRandom(3), (what) => crashes.push(what));
    const segment = d.createActive(1, bytes(1));
    await scheduler.runUntil(T0 + 1);
    d.faults.armCrash({ op: 'sync', skip: 0, afterEffect: true });
    let resolved = false;
    void segment.sync().then(() => (resolved = true));
    await scheduler.runUntil(T0 + 10);
    expect(crashes).toEqual(['sync of shard-0000000000-seg-00000000000000000001.wal']);
    expect(resolved).toBe(false); // the caller never heard of it
    expect(d.isDead).toBe(true);
    expect([...(await d.afterPowerLoss().readSegment(1))]).toEqual([1]); // but it was durable
  });

  it('under TidalDb with fsync, every acknowledged write survives a power loss', async () => {
    const scheduler = new SimScheduler(T0);
    const random = seededRandom(11);
    let d = disk(scheduler, random);
    for (let round = 0; round < 20; round++) {
      const opening = TidalDb.open({ store: d, halfLifeMs: 3_600_000, clock: () => scheduler.now(), wal: { maxSegmentBytes: 1024 } });
      await scheduler.runUntil(scheduler.now() + 50);
      const db = await opening;
      let acked = 0;
      for (let i = 0; i < 30; i++) {
        void db.signal({ itemId: `i${i % 5}`, type: 'view', at: scheduler.now() }).then((seq) => (acked = Math.max(acked, seq)));
        if (i % 4 === 3) db.wal.flushPending();
        await scheduler.runUntil(scheduler.now() + Math.floor(random() * 5));
      }
      const before = db.lastSeq;
      d = d.afterPowerLoss();
      const reopening = TidalDb.open({ store: d, halfLifeMs: 3_600_000, clock: () => scheduler.now(), wal: { maxSegmentBytes: 1024 } });
      await scheduler.runUntil(scheduler.now() + 50);
      const reopened = await reopening;
      expect(reopened.lastSeq).toBeGreaterThanOrEqual(acked);
      expect(reopened.lastSeq).toBeLessThanOrEqual(before);
      d = d.afterRestart();
    }
  });
});
