/**
 * Cross-benchmark rows kept from before issue 9 (issue 9's own are
 * issue9Rows.ts): tidaldb's lag over TCP against the Redis replica's, both
 * at a steady 100k signals/s, measured in the same run by `tcp` and
 * `redis`. Goal ≤ 1×. Absent unless both ran.
 */
import type { Figures } from './figures.js';
import type { BenchResult } from './stats.js';

export function replicationComparison(figures: Figures): BenchResult[] {
  const tcp = figures.value('tcp.lag100k');
  const redis = figures.value('redis.lag100k');
  if (!Number.isFinite(tcp) || !Number.isFinite(redis)) return [];
  return [{
    benchmark: 'earlier: tcp lag p99 ÷ Redis replica lag p99, both at 100k/s', measured: tcp / redis, unit: '×',
    goal: { op: '<=', value: 1 }, details: { tcpLagP99Ms: tcp, redisLagP99Ms: redis },
  }];
}
