/**
 * Recovery: open time of a database that must replay its whole WAL, and of
 * one that starts from a checkpoint, on issue 9's workload (5,000 items)
 * and, informational, on the earlier one (100k items):
 *
 *   1. write N = 1,000,000 signals (scaled) over the items with wal.sync 'none', flush, close
 *   2. delete the checkpoint files close wrote, so open replays the WAL:
 *      replay rate = recovery.eventsReplayed / open seconds, median of 3 opens;
 *      goal (issue 9's "Replay") ≥ 2,000,000 events/s on 5,000 items
 *   3. open, checkpoint(), close; then open again: open time in ms (informational)
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TidalDb } from '../../src/index.js';
import { repeats, scaled } from './benchConfig.js';
import { type BenchResult, medianRun } from './stats.js';
import { withTempDir } from './tempDir.js';
import { ISSUE9_ITEMS, ISSUE9_SIGNALS, itemIds, rng, secondsSince, writeBulk } from './workload.js';

const EARLIER_ITEMS = 100_000;

interface OpenRun {
  readonly openMs: number;
  readonly eventsReplayed: number;
  readonly checkpointSeq: number;
  readonly segmentsRead: number;
}

export async function recovery(): Promise<BenchResult[]> {
  const n = scaled(ISSUE9_SIGNALS, 1000);
  const issue9 = await recoveryOf(n, ISSUE9_ITEMS);
  const earlierItems = scaled(EARLIER_ITEMS, 100);
  const earlier = await recoveryOf(n, earlierItems);
  const rate = (run: OpenRun) => run.eventsReplayed / (run.openMs / 1000);
  return [
    {
      benchmark: 'Replay: WAL replay rate (1M events, 5,000 items)', measured: rate(issue9.replay), unit: 'events/s',
      goal: null, key: 'recovery.replay',
      details: { signals: n, items: ISSUE9_ITEMS, segmentsRead: issue9.replay.segmentsRead, openMsRuns: issue9.replayRuns.map((r) => r.openMs) },
    },
    { benchmark: '  open time, full WAL replay', measured: issue9.replay.openMs, unit: 'ms', goal: null },
    {
      benchmark: '  open time, from checkpoint', measured: issue9.fromCheckpoint.openMs, unit: 'ms', goal: null,
      details: { eventsReplayed: issue9.fromCheckpoint.eventsReplayed, openMsRuns: issue9.checkpointRuns.map((r) => r.openMs) },
    },
    {
      benchmark: '  replay rate over 100k items (earlier workload)', measured: rate(earlier.replay), unit: 'events/s', goal: null,
      details: { signals: n, items: earlierItems, segmentsRead: earlier.replay.segmentsRead, openMsRuns: earlier.replayRuns.map((r) => r.openMs) },
    },
  ];
}

interface RecoveryRuns {
  readonly replay: OpenRun;
  readonly replayRuns: readonly OpenRun[];
  readonly fromCheckpoint: OpenRun;
  readonly checkpointRuns: readonly OpenRun[];
}

/** Writes n signals over `items`, then times opens that replay it all, then opens from a checkpoint; the median of each. */
async function recoveryOf(n: number, items: number): Promise<RecoveryRuns> {
  return withTempDir(async (dir) => {
    await writeLog(dir, n, items);
    await removeCheckpoints(dir);
    const replayRuns: OpenRun[] = [];
    for (let r = 0; r < repeats(3); r++) {
      const run = await timedOpen(dir, n);
      if (run.checkpointSeq !== 0 || run.eventsReplayed !== n) {
        throw new Error(`recovery: expected a full replay of ${n} events, got checkpointSeq ${run.checkpointSeq}, eventsReplayed ${run.eventsReplayed}`);
      }
      replayRuns.push(run);
      await removeCheckpoints(dir); // close wrote one; the next run must replay again
    }
    const db = await TidalDb.open({ dir, wal: KEEP_ALL });
    await db.checkpoint();
    await db.close();
    const checkpointRuns: OpenRun[] = [];
    for (let r = 0; r < repeats(3); r++) {
      const run = await timedOpen(dir, n);
      if (run.checkpointSeq !== n) throw new Error(`recovery: expected to start from the checkpoint at ${n}, got ${run.checkpointSeq}`);
      checkpointRuns.push(run);
    }
    return {
      replay: medianRun(replayRuns, (r) => r.openMs), replayRuns, fromCheckpoint: medianRun(checkpointRuns, (r) => r.openMs), checkpointRuns,
    };
  });
}

/**
 * Every sealed segment kept: a close checkpoints, and with the default
 * retention that drops the segments it covers, so the next full replay
 * (its checkpoint deleted) would find the log missing its start.
 */
const KEEP_ALL = { sync: 'none', retainSegments: 1_000_000, maxRetainedBytes: 2 ** 40 } as const;

async function writeLog(dir: string, n: number, items: number): Promise<void> {
  const ids = itemIds(items);
  const random = rng(11);
  const baseMs = Date.now();
  const db = await TidalDb.open({ dir, wal: KEEP_ALL });
  try {
    await writeBulk(n, (i) => db.signal({ itemId: ids[Math.floor(random() * items)]!, type: 'view', at: baseMs + i }));
    await db.flush();
  } finally {
    await db.close();
  }
}

async function timedOpen(dir: string, expectedLastSeq: number): Promise<OpenRun> {
  globalThis.gc?.();
  const t0 = performance.now();
  const db = await TidalDb.open({ dir, wal: KEEP_ALL });
  const openMs = secondsSince(t0) * 1000;
  try {
    if (db.lastSeq !== expectedLastSeq) throw new Error(`recovery: reopened at seqno ${db.lastSeq}, expected ${expectedLastSeq}`);
    const { eventsReplayed, checkpointSeq, segmentsRead } = db.recovery;
    return { openMs, eventsReplayed, checkpointSeq, segmentsRead };
  } finally {
    await db.close();
  }
}

async function removeCheckpoints(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.endsWith('.checkpoint')) await rm(join(dir, name));
}
