/**
 * The platform's floor under the lag rows (BENCH_ONLY `tcpLag`): one
 * write(2) of a batch-sized buffer and an fdatasync through libuv's thread
 * pool, paced as the lag load (500 a second), with no tidaldb code at all.
 * A write acknowledged as durable on a leader and then on a follower costs
 * at least two of these in series, so their p99 bounds what the lag rows can
 * reach on the machine that runs them.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { LAG_BATCHES_PER_SEC, lagLoadMs } from './batchLagLoad.js';
import { pacedWrites } from './pacedWrites.js';
import { pollUntil } from './pollUntil.js';
import { type LatencySummary, summarize } from './stats.js';

/** About the bytes of a sealed 100-signal segment. */
const WRITE_BYTES = 1200;

/** Latency of write + fdatasync at the lag load's pace, in `dir`. */
export async function fsyncFloor(dir: string): Promise<LatencySummary> {
  const fd = fs.openSync(join(dir, 'fsync-floor.bin'), 'w');
  const buffer = Buffer.alloc(WRITE_BYTES, 7);
  const latencies: number[] = [];
  try {
    const load = await pacedWrites(LAG_BATCHES_PER_SEC, Math.min(lagLoadMs(), 3000), () => {
      fs.writeSync(fd, buffer);
      const at = performance.now();
      fs.fdatasync(fd, () => latencies.push(performance.now() - at));
    });
    await pollUntil(() => latencies.length === load.written, { timeoutMs: 10_000 });
  } finally {
    fs.closeSync(fd);
  }
  return summarize(latencies);
}
