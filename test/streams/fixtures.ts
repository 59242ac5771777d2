/** Shared fixtures for replication tests: databases on a clock a TestScheduler can drive. */
import type { SchedulerLike, VirtualTimeScheduler } from 'rxjs';
import { FollowerDb, TidalDb, type TidalDbOptions, type WalSegmentPayload } from '../../src/index.js';
import type { FollowerFeedback } from '../../streams/index.js';

/** A clock that reads Date.now until `use(scheduler)` points it at virtual time. */
export function virtualClock() {
  let source: () => number = () => 0;
  return {
    clock: () => source(),
    use(scheduler: SchedulerLike) {
      source = () => scheduler.now();
    },
  };
}

export const HALF_LIVES = { view: 3_600_000, like: 7_200_000 };

export async function memoryLeader(clock: () => number, extra: TidalDbOptions = {}): Promise<TidalDb> {
  return TidalDb.open({ clock, halfLifeMs: HALF_LIVES, ...extra });
}

export async function memoryFollower(clock: () => number): Promise<TidalDb> {
  return FollowerDb.open({ clock });
}

/** Writes `n` signals (views spread over 7 items) and seals; returns the sealed segment. */
export async function sealedSegment(db: TidalDb, n: number): Promise<WalSegmentPayload> {
  for (let i = 0; i < n; i++) void db.signal({ itemId: `item-${(db.lastSeq + 1) % 7}`, type: 'view', weight: 1 + (i % 3), at: 1_000 * db.lastSeq });
  const sealed = await db.wal.seal();
  if (!sealed) throw new Error('nothing sealed');
  return sealed;
}

export function ack(peer: string, appliedSeq: number, atMs = 0): FollowerFeedback {
  return { peer, kind: 'ack', appliedSeq, receivedSeq: appliedSeq, atMs };
}

/** Everything a follower serves, for comparing two nodes. */
export function stateOf(db: TidalDb, at: number) {
  return {
    lastSeq: db.lastSeq,
    views: db.retrieve({ signal: 'view', limit: 1000, at }),
    likes: db.retrieve({ signal: 'like', limit: 1000, at }),
  };
}

/**
 * Runs `scheduler` up to virtual `untilMs` in steps of `stepMs`, letting the
 * promises of an in-memory database (checkpoints, durable writes) settle
 * after each step, as they would between two turns of the event loop. For a
 * whole pipeline whose timers are virtual but whose database awaits.
 */
export async function runVirtualTime(scheduler: VirtualTimeScheduler, untilMs: number, stepMs: number, afterEach?: () => void): Promise<void> {
  for (let t = scheduler.frame; t <= untilMs; t += stepMs) {
    scheduler.maxFrames = t;
    scheduler.flush();
    await new Promise((resolve) => setImmediate(resolve));
    afterEach?.();
  }
}
