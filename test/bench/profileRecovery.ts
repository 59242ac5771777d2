/**
 * Ad-hoc profile of replay from disk (issue 9's "Replay ≥ 2M events/s"):
 * writes N signals over M items as signalBatches of 1,000 (wal.sync 'none',
 * every sealed segment retained), deletes the checkpoints that close wrote,
 * and times opens that replay the whole WAL: decode, the per-batch checks
 * and the apply through the ledger. Prints one JSON line with each open's
 * rate and their median.
 *
 *   node --expose-gc [--cpu-prof] dist/test/bench/profileRecovery.js <signals> <items> [opens]
 *
 * Written because bench/recovery.ts fails at the time of writing: close's
 * checkpoint drops the segments it covers, so once the checkpoint is
 * deleted the log has a hole ("a segment is missing").
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TidalDb } from '../../src/index.js';
import { median } from './stats.js';
import { withTempDir } from './tempDir.js';
import { signalBatches, writeBatches } from './workload.js';

/** Keeps every sealed segment, so a replay from seqno 1 finds them all. */
const KEEP_ALL = { sync: 'none', retainSegments: 1_000_000, maxRetainedBytes: 2 ** 40 } as const;

async function main(): Promise<void> {
  const [signals = 1_000_000, items = 5000, opens = 3] = process.argv.slice(2).map(Number);
  const rates = await withTempDir(async (dir) => {
    const writer = await TidalDb.open({ dir, wal: KEEP_ALL });
    await writeBatches(writer, signalBatches(signals, items, { seed: 11, baseMs: Date.now() }));
    await writer.close();
    const out: number[] = [];
    for (let r = 0; r < opens; r++) {
      for (const name of await readdir(dir)) if (name.endsWith('.checkpoint')) await rm(join(dir, name));
      globalThis.gc?.();
      const t0 = performance.now();
      const db = await TidalDb.open({ dir, wal: KEEP_ALL });
      const seconds = (performance.now() - t0) / 1000;
      const { eventsReplayed, checkpointSeq } = db.recovery;
      await db.close();
      if (checkpointSeq !== 0 || eventsReplayed !== signals) throw new Error(`expected a full replay of ${signals}, got checkpointSeq ${checkpointSeq}, eventsReplayed ${eventsReplayed}`);
      out.push(Math.round(eventsReplayed / seconds));
    }
    return out;
  });
  process.stdout.write(`${JSON.stringify({ signals, items, eventsPerSec: median(rates), runs: rates })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
