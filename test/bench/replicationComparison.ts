/**
 * tidaldb over TCP against Redis, measured in the same `npm run bench` run:
 * tcpReplication.ts and redisBaseline.ts each record their figures here,
 * and whichever runs second gets the ratio rows.
 *
 *   throughput ratio = tidaldb signals/s to converged ÷ Redis's; goal ≥ 1×, moonshot 2×
 *   lag ratio        = tidaldb lag p99 ÷ Redis replica lag p99 at 100k/s; goal ≤ 1×
 */
import type { BenchResult } from './stats.js';

export interface TcpFigures {
  readonly oneFollowerPerSec: number;
  readonly fourFollowersPerSec: number;
  readonly lagP99Ms: number;
}

export interface RedisFigures {
  /** redis-benchmark -r 100000: the same workload as tidaldb's (100k items). */
  readonly convergedPerSec: number;
  /** redis-benchmark without -r: one member, cheaper per command; informational. */
  readonly oneMemberPerSec: number;
  readonly lagP99Ms: number;
}

let tcp: TcpFigures | null = null;
let redis: RedisFigures | null = null;

/** Records tidaldb's figures; returns the ratio rows if Redis's are in. */
export function recordTcpFigures(figures: TcpFigures): BenchResult[] {
  tcp = figures;
  return comparisonRows();
}

/** Records Redis's figures; returns the ratio rows if tidaldb's are in. */
export function recordRedisFigures(figures: RedisFigures): BenchResult[] {
  redis = figures;
  return comparisonRows();
}

function comparisonRows(): BenchResult[] {
  if (!tcp || !redis) return [];
  const details = { tcp, redis };
  return [
    {
      benchmark: 'tcp e2e 1 follower vs redis replica (moonshot 2×)', measured: tcp.oneFollowerPerSec / redis.convergedPerSec,
      unit: '×', goal: { op: '>=', value: 1 }, details,
    },
    { benchmark: '  tcp e2e 4 followers vs redis 1 replica', measured: tcp.fourFollowersPerSec / redis.convergedPerSec, unit: '×', goal: null },
    { benchmark: '  tcp e2e 1 follower vs redis, one member', measured: tcp.oneFollowerPerSec / redis.oneMemberPerSec, unit: '×', goal: null },
    { benchmark: 'tcp lag p99 vs redis replica lag p99 (100k/s)', measured: tcp.lagP99Ms / redis.lagP99Ms, unit: '×', goal: { op: '<=', value: 1 }, details },
  ];
}
