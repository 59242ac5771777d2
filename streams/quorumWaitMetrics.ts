/**
 * What a quorum wait leaves in `db.metrics`, for src/prometheus.ts to export:
 *
 *   replication.quorumWaits.<level>.<outcome>          counter: one per wait (acked, timeout, closed, cancelled)
 *   replication.quorumWaitSeconds.<level>.le.<bound>   counter: waits that took <= bound seconds (cumulative buckets)
 *   replication.quorumWaitSeconds.<level>.sum / .count  counters: total seconds waited, and waits
 *
 * Exported as `tidaldb_replication_quorum_waits_total{level,outcome}` and
 * the histogram `tidaldb_replication_quorum_wait_seconds{level}`. Plain
 * counters, so a scrape reads them from one snapshot like every other metric.
 */
import type { MetricsState } from '../src/index.js';
import type { AckLevel } from './followerBookStep.js';

/** How a quorum wait ended. */
export type QuorumWaitOutcome = 'acked' | 'timeout' | 'closed' | 'cancelled';

/**
 * Histogram bounds, seconds: 0.5 ms (a loopback round trip with an fsync on
 * tmpfs) to 10 s (past any sensible timeoutMs). 14 counters per level.
 */
export const QUORUM_WAIT_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const QUORUM_WAITS_PREFIX = 'replication.quorumWaits.';
export const QUORUM_WAIT_SECONDS_PREFIX = 'replication.quorumWaitSeconds.';

/** Counts one wait at `level` that ended with `outcome` after `seconds`. */
export function recordQuorumWait(metrics: Pick<MetricsState, 'inc'>, level: AckLevel, outcome: QuorumWaitOutcome, seconds: number): void {
  metrics.inc(`${QUORUM_WAITS_PREFIX}${level}.${outcome}`);
  const base = `${QUORUM_WAIT_SECONDS_PREFIX}${level}.`;
  metrics.inc(`${base}sum`, seconds);
  metrics.inc(`${base}count`);
  // Every bucket, 0 where the wait was longer: the histogram then has all its bounds from the first wait on.
  for (const bound of QUORUM_WAIT_BUCKETS_SECONDS) metrics.inc(`${base}le.${bound}`, seconds <= bound ? 1 : 0);
}
