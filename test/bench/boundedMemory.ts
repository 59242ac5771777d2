/**
 * Bounded by default (issue 8), in memory: an in-memory leader with one
 * follower that keeps up, fed 5M signals over 1,000 items (scaled), in a
 * fresh child process (boundedMemoryChild.ts). Goals: the sealed segment
 * bytes the leader holds never exceed wal.maxRetainedBytes (64 MiB in
 * memory), and RSS stays flat after the first million (grows by at most
 * 32 MB from 1M to 5M signals; the issue measured +129 MB, 159 → 288 MB,
 * when every sealed segment stayed in memory).
 *
 * Three runs, as retention runs at checkpoints:
 *   - a checkpoint after every million signals, as the issue's measurement did;
 *   - the pipelines' own checkpoints only (every 60 s): a fast writer seals
 *     far more than the cap between two of them, so this run shows what is
 *     missing for "bounded by default" in memory (a checkpoint when a side
 *     holds too many bytes);
 *   - that missing trigger, done by the child: a checkpoint once a side
 *     holds more than half of the cap.
 * RSS is sampled after GC every 500k signals; heap and external memory too
 * (external holds the segment bytes).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY } from '../../src/limits.js';
import { scaled } from './benchConfig.js';
import type { BenchResult } from './stats.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./boundedMemoryChild.js', import.meta.url));
/** A child that takes longer than this has hung. */
const CHILD_TIMEOUT_MS = 900_000;
const MB = 1024 * 1024;
/** RSS may grow this much from the first million to the last: "flat" (GC noise and the ledger's 1,000 items). */
const FLAT_RSS_GROWTH_MB = 32;

interface ChildReport {
  readonly signals: number;
  readonly seconds: number;
  readonly baselineRssMb: number;
  /** After GC, every 500k signals. */
  readonly rssMb: readonly number[];
  readonly heapMb: readonly number[];
  readonly externalMb: readonly number[];
  readonly maxLeaderSealedMb: number;
  readonly maxFollowerSealedMb: number;
  readonly maxLagEvents: number;
  readonly leaderLastSeq: number;
  readonly followerLastSeq: number;
}

export async function boundedMemory(): Promise<BenchResult[]> {
  const signals = scaled(5_000_000, 1_000_000);
  const perMillion = await measureChild(signals, String(1_000_000));
  const pipelineOnly = await measureChild(signals, '0');
  const pressure = await measureChild(signals, 'pressure');
  const capMb = DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY / MB;
  const cap = { op: '<=', value: capMb } as const;
  const growth = (xs: readonly number[]) => xs[xs.length - 1]! - xs[1]!; // from the sample at 1M to the last
  const m = signals / 1e6;
  return [
    {
      benchmark: `bounded memory, ${m}M signals, checkpoint per 1M: leader's sealed bytes`, measured: perMillion.maxLeaderSealedMb,
      unit: 'MB', goal: cap, details: { ...perMillion },
    },
    {
      benchmark: '  RSS growth from 1M signals to the last', measured: growth(perMillion.rssMb),
      unit: 'MB', goal: { op: '<=', value: FLAT_RSS_GROWTH_MB }, details: { rssMbPer500k: perMillion.rssMb },
    },
    { benchmark: '  RSS after the last signal', measured: perMillion.rssMb[perMillion.rssMb.length - 1]!, unit: 'MB', goal: null },
    {
      benchmark: '  heap + external growth from 1M to the last', measured: growth(perMillion.heapMb.map((h, i) => h + perMillion.externalMb[i]!)),
      unit: 'MB', goal: null, details: { heapMbPer500k: perMillion.heapMb, externalMbPer500k: perMillion.externalMb },
    },
    {
      benchmark: `  pipeline checkpoints only (60 s): leader's sealed bytes`, measured: pipelineOnly.maxLeaderSealedMb,
      unit: 'MB', goal: cap, details: { ...pipelineOnly },
    },
    {
      benchmark: `  checkpoint at half the cap: leader's sealed bytes`, measured: pressure.maxLeaderSealedMb,
      unit: 'MB', goal: cap, details: { ...pressure },
    },
    { benchmark: '  checkpoint at half the cap: RSS growth from 1M to the last', measured: growth(pressure.rssMb), unit: 'MB', goal: { op: '<=', value: FLAT_RSS_GROWTH_MB } },
  ];
}

/** @param checkpoints signals between checkpoints, '0' (the pipelines' own), or 'pressure' (see boundedMemoryChild.ts) */
async function measureChild(signals: number, checkpoints: string): Promise<ChildReport> {
  const args = ['--expose-gc', CHILD, String(signals), checkpoints, '100'];
  const { stdout } = await run(process.execPath, args, { timeout: CHILD_TIMEOUT_MS, maxBuffer: 1024 * 1024 });
  const report = JSON.parse(stdout.trim().split('\n').pop() ?? '') as ChildReport;
  if (report.leaderLastSeq !== signals || report.followerLastSeq !== signals) {
    throw new Error(`boundedMemory: leader at ${report.leaderLastSeq}, follower at ${report.followerLastSeq}, expected ${signals}`);
  }
  return report;
}
