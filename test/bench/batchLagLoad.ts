/**
 * Issue 9's lag load, shared by tidaldb (tcpBatchLag.ts) and Redis
 * (redisWaitLag.ts) so both see the same shape: 50,000 signals/s written
 * as one 100-signal batch every 2 ms, over the 5,000 items of the issue's
 * workload, for 5 s × scale (at least 1 s) after a 500 ms warm-up whose
 * samples are dropped (JIT in a fresh follower process, Redis's first
 * GETACK round).
 *
 * A sample is one batch: from the moment it is written until the ack that
 * covers it arrives, which is the age the oldest unacked write reaches.
 */
import { scaled } from './benchConfig.js';
import type { MarkLag } from './markLag.js';
import { type LatencySummary, summarize } from './stats.js';
import { ISSUE9_ITEMS } from './workload.js';

export const LAG_BATCH_SIZE = 100;
/** 500 batches/s = one every 2 ms: 50,000 signals/s. */
export const LAG_BATCHES_PER_SEC = 500;
export const LAG_ITEMS = ISSUE9_ITEMS;
/** Not scaled: long enough for a fresh process's hot paths to be compiled. */
export const LAG_WARMUP_MS = 500;

/** How long the measured part of the load runs, in ms. */
export function lagLoadMs(): number {
  return scaled(5000, 1000);
}

/** The lag samples of writes made at or after `sinceMs` (the end of the warm-up), summarized, with p99 by second. */
export function steadyLag(stamps: MarkLag, sinceMs: number): { lag: LatencySummary; p99BySecondMs: number[] } {
  const kept = stamps.lagsMs.filter((_, i) => stamps.writtenAtMs[i]! >= sinceMs);
  return { lag: summarize(kept), p99BySecondMs: stamps.p99ByWindow(sinceMs, 1000) };
}
