/**
 * Bounded by default (issue 8), the bytes: an in-memory leader shipping to
 * one follower keeps only the sealed segments retention allows, so writing
 * far more than `wal.maxRetainedBytes` never holds more than it.
 *
 * Retention runs at checkpoints (startLeader checkpoints every
 * checkpointIntervalMs; here the test checkpoints every CHECKPOINT_EVERY
 * signals, as the measurement did every million), so between two
 * checkpoints a leader also holds what was sealed since the last one. The
 * scaled-down CI version of the 5M-signal run; the full run, with
 * RSS, is `npm run bench` (BENCH_ONLY=boundedMemory).
 */
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';

/** 512 KiB: 600k signals seal ~3.9 MB in batch format v3 (~6.5 bytes a signal here), over 4 times the cap. */
const CAP = 512 * 1024;
const TOTAL = 600_000;
const CHECKPOINT_EVERY = 50_000;
const CHUNK = 2_000;
const T0 = 1_767_225_600_000;

interface Run {
  /** Most sealed bytes the leader held at any sample. */
  readonly maxHeld: number;
  /** Most it held right after a checkpoint. */
  readonly maxAfterCheckpoint: number;
  /** Most sealed between two checkpoints (bytes the leader sealed in one interval). */
  readonly maxSealedPerInterval: number;
  readonly followerMaxHeld: number;
  readonly totalSealed: number;
}

/** Writes TOTAL signals over 1,000 items; the follower stops acking after `stallAt` signals (never: Infinity). */
async function run(stallAt: number): Promise<Run & { leader: TidalDb; follower: TidalDb }> {
  const leader = await TidalDb.open({ clock: () => T0, halfLifeMs: { view: 3_600_000 }, wal: { maxRetainedBytes: CAP } });
  const follower = await FollowerDb.open({ clock: () => T0, wal: { maxRetainedBytes: CAP } });
  const transport = new InProcessTransport({ capacity: 4 });
  const leaderHandle = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 5, checkpointIntervalMs: 0 });
  const followerHandle = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 10, checkpointIntervalMs: 0 });
  let totalSealed = 0;
  let sealedSinceCheckpoint = 0;
  leader.wal.sealed$.subscribe((p) => {
    totalSealed += p.bytes.length;
    sealedSinceCheckpoint += p.bytes.length;
  });
  const r = { maxHeld: 0, maxAfterCheckpoint: 0, maxSealedPerInterval: 0, followerMaxHeld: 0 };
  let followerStopped = false;
  try {
    for (let n = 0; n < TOTAL; n += CHUNK) {
      for (let i = n; i < n + CHUNK; i++) void leader.signal({ itemId: `item-${(i * 7919) % 1000}`, type: 'view', at: T0 - (i % 1000) });
      await new Promise((resolve) => setTimeout(resolve, 1)); // a ship tick and the follower's apply
      if (n + CHUNK >= stallAt && !followerStopped) {
        followerStopped = true;
        await followerHandle.stop();
      }
      r.maxHeld = Math.max(r.maxHeld, leader.wal.sealedBytes);
      r.followerMaxHeld = Math.max(r.followerMaxHeld, follower.wal.sealedBytes);
      if ((n + CHUNK) % CHECKPOINT_EVERY !== 0) continue;
      await leader.checkpoint();
      if (!followerStopped) await follower.checkpoint();
      r.maxSealedPerInterval = Math.max(r.maxSealedPerInterval, sealedSinceCheckpoint);
      sealedSinceCheckpoint = 0;
      r.maxAfterCheckpoint = Math.max(r.maxAfterCheckpoint, leader.wal.sealedBytes);
    }
    if (!followerStopped) await leaderHandle.awaitInSync({ timeoutMs: 30_000 });
  } finally {
    await leaderHandle.stop();
    await followerHandle.stop();
  }
  return { ...r, totalSealed, leader, follower };
}

describe('bounded by default: retained segment bytes stay under wal.maxRetainedBytes', () => {
  it('an in-memory leader with one follower that keeps up never holds more than maxRetainedBytes of sealed segments (600k signals, 512 KiB cap)', async () => {
    const r = await run(Infinity);
    expect(r.totalSealed, 'sealed in all').toBeGreaterThan(4 * CAP);
    expect(r.maxHeld).toBeLessThanOrEqual(CAP);
    expect(r.followerMaxHeld).toBeLessThanOrEqual(CAP);
    expect(r.follower.lastSeq).toBe(TOTAL);
    expect(r.follower.retrieve({ signal: 'view', limit: 5 })).toEqual(r.leader.retrieve({ signal: 'view', limit: 5 }));
    await r.leader.close();
    await r.follower.close();
  }, 60_000);

  it('with a follower that stops acking, a checkpoint leaves at most maxRetainedBytes; between checkpoints the leader holds at most that plus one interval of seals', async () => {
    const r = await run(100_000);
    expect(r.maxAfterCheckpoint).toBeLessThanOrEqual(CAP);
    expect(r.maxHeld).toBeLessThanOrEqual(CAP + r.maxSealedPerInterval);
    expect(r.maxHeld, 'the cap was reached: the stalled follower pinned segments').toBeGreaterThan(CAP / 2);
    await r.leader.close();
    await r.follower.close();
  }, 60_000);
});
