/**
 * Recovery: open time of a database that must replay its whole WAL, and of
 * one that starts from a checkpoint.
 *
 *   1. write N = 1,000,000 signals (scaled) over 100k items with wal.sync 'none', flush, close
 *   2. delete the checkpoint files close wrote, so open replays the WAL:
 *      replay rate = recovery.eventsReplayed / open seconds, goal ≥ 1,000,000 events/s
 *   3. open, checkpoint(), close; then open again: open time in ms (informational)
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TidalDb } from '../../src/index.js';
import { repeats, scaled } from './benchConfig.js';
import { type BenchResult, medianRun } from './stats.js';
import { withTempDir } from './tempDir.js';
import { itemIds, rng, secondsSince, writeBulk } from './workload.js';

interface OpenRun {
  readonly openMs: number;
  readonly eventsReplayed: number;
  readonly checkpointSeq: number;
  readonly segmentsRead: number;
}

export async function recovery(): Promise<BenchResult[]> {
  const n = scaled(1_000_000, 1000);
  const items = scaled(100_000, 100);
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
    const db = await TidalDb.open({ dir, wal: { sync: 'none' } });
    await db.checkpoint();
    await db.close();
    const checkpointRuns: OpenRun[] = [];
    for (let r = 0; r < repeats(3); r++) {
      const run = await timedOpen(dir, n);
      if (run.checkpointSeq !== n) throw new Error(`recovery: expected to start from the checkpoint at ${n}, got ${run.checkpointSeq}`);
      checkpointRuns.push(run);
    }
    const replay = medianRun(replayRuns, (r) => r.openMs);
    const fromCheckpoint = medianRun(checkpointRuns, (r) => r.openMs);
    return [
      {
        benchmark: 'recovery: WAL replay rate', measured: replay.eventsReplayed / (replay.openMs / 1000), unit: 'events/s',
        goal: { op: '>=', value: 1_000_000 },
        details: { signals: n, items, segmentsRead: replay.segmentsRead, openMsRuns: replayRuns.map((r) => r.openMs) },
      },
      { benchmark: '  open time, full WAL replay', measured: replay.openMs, unit: 'ms', goal: null },
      {
        benchmark: '  open time, from checkpoint', measured: fromCheckpoint.openMs, unit: 'ms', goal: null,
        details: { eventsReplayed: fromCheckpoint.eventsReplayed, openMsRuns: checkpointRuns.map((r) => r.openMs) },
      },
    ];
  });
}

async function writeLog(dir: string, n: number, items: number): Promise<void> {
  const ids = itemIds(items);
  const random = rng(11);
  const baseMs = Date.now();
  const db = await TidalDb.open({ dir, wal: { sync: 'none' } });
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
  const db = await TidalDb.open({ dir, wal: { sync: 'none' } });
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
