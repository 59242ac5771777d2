/**
 * Issue 9's benchmark table, row for row, from the figures of one run:
 * each row with its goal and the BENCH_ONLY names that produce it. The
 * ratio rows divide a tidaldb figure by the Redis-native figure measured
 * in the same run (redisBaseline.ts); a row whose figures are missing
 * reads why (not run, failed, Redis not installed: "n/a") and is not
 * judged. The goals live here and nowhere else: the benchmarks' own rows
 * for these figures carry none.
 *
 *   npm run bench                                 every row
 *   BENCH_ONLY=tcp,redis npm run bench            one row and the figure it needs
 */
import type { Figures } from './figures.js';
import type { BenchResult, Goal } from './stats.js';

const REDIS_NATIVE = 'redis.native';

type Measure =
  | { readonly kind: 'figure'; readonly key: string }
  /** The best of `keys` (any one of them meets the row) ÷ the Redis-native figure. */
  | { readonly kind: 'vsRedis'; readonly keys: readonly string[] };

interface RowSpec {
  readonly label: string;
  readonly unit: string;
  readonly goal: Goal | null;
  readonly only: string;
  readonly measure: Measure;
}

const atLeast = (value: number): Goal => ({ op: '>=', value });
const atMost = (value: number): Goal => ({ op: '<=', value });

export const ISSUE9_ROWS: readonly RowSpec[] = [
  {
    label: 'Redis-native: primary + replica, redis-benchmark -P 1000, ZINCRBY over 5,000 members, to converged',
    unit: 'signals/s', goal: null, only: 'redis', measure: { kind: 'figure', key: REDIS_NATIVE },
  },
  {
    label: 'In process, leader + one follower (a replica worker counts), to converged, ÷ Redis-native',
    unit: '×', goal: atLeast(2), only: 'replication,workers,redis', measure: { kind: 'vsRedis', keys: ['replication.oneFollower', 'workers.one'] },
  },
  { label: 'Over TCP, to one follower process, ÷ Redis-native', unit: '×', goal: atLeast(2), only: 'tcp,redis', measure: { kind: 'vsRedis', keys: ['tcp.oneFollower'] } },
  { label: 'Four replica workers, ÷ Redis-native', unit: '×', goal: atLeast(1), only: 'workers,redis', measure: { kind: 'vsRedis', keys: ['workers.four'] } },
  { label: 'signalBatch of 1,000, in memory', unit: 'signals/s', goal: atLeast(3_000_000), only: 'ingest', measure: { kind: 'figure', key: 'ingest.batchMemory' } },
  { label: 'signalBatch of 1,000, under fsync', unit: 'signals/s', goal: atLeast(1_000_000), only: 'ingest', measure: { kind: 'figure', key: 'ingest.batchFsync' } },
  { label: 'Single signal() with 64 concurrent writers, in memory', unit: 'signals/s', goal: atLeast(1_000_000), only: 'ingest', measure: { kind: 'figure', key: 'ingest.single64' } },
  { label: 'Replay', unit: 'events/s', goal: atLeast(2_000_000), only: 'recovery', measure: { kind: 'figure', key: 'recovery.replay' } },
  { label: 'A replica worker\'s retrieve round trip p99', unit: 'µs', goal: atMost(100), only: 'workers', measure: { kind: 'figure', key: 'workers.retrieveP99' } },
  { label: 'RSS for 1M signals over 100k items', unit: 'MB', goal: atMost(150), only: 'memory', measure: { kind: 'figure', key: 'memory.rss' } },
  { label: 'Lag p99 at a steady 100k/s, ship interval 10 ms', unit: 'ms', goal: atMost(25), only: 'lag', measure: { kind: 'figure', key: 'lag.ship10P99' } },
  {
    label: 'Lag p99, 50k/s in 100-signal batches every 2 ms, TCP to a follower process, oldest unacked write, ship 10 ms',
    unit: 'ms', goal: atMost(2), only: 'tcpLag', measure: { kind: 'figure', key: 'tcpLag.ship10' },
  },
  { label: '  the same at ship 1 ms', unit: 'ms', goal: atMost(2), only: 'tcpLag', measure: { kind: 'figure', key: 'tcpLag.ship1' } },
  { label: '  p99 at ship 1 ms ÷ p99 at ship 10 ms (no worse at 1 ms)', unit: '×', goal: atMost(1), only: 'tcpLag', measure: { kind: 'figure', key: 'tcpLag.ship1OverShip10' } },
  { label: "  the same with shipOn 'commit' (each write ships as it commits)", unit: 'ms', goal: atMost(2), only: 'tcpLag', measure: { kind: 'figure', key: 'tcpLag.commit' } },
  {
    label: '  beside it: Redis WAIT-style replica lag p99, same load', unit: 'ms', goal: null, only: 'redis',
    measure: { kind: 'figure', key: 'redis.waitLag' },
  },
  {
    label: '  beside it: the platform floor, one write + fdatasync p99 at 500/s (a durable ack costs two in series)', unit: 'ms', goal: null,
    only: 'tcpLag', measure: { kind: 'figure', key: 'tcpLag.fsyncFloor' },
  },
  {
    label: '  beside it: the platform floor for a durable replicated ack p99 (fdatasync, loopback, fdatasync in a 2nd process, ack; no tidaldb)', unit: 'ms', goal: null,
    only: 'tcpLag', measure: { kind: 'figure', key: 'tcpLag.replicatedAckFloor' },
  },
];

/** The issue's table for this run: one row per ISSUE9_ROWS entry, in order. */
export function issue9Rows(figures: Figures): BenchResult[] {
  return ISSUE9_ROWS.map((spec) => {
    const base = { benchmark: spec.label, unit: spec.unit, goal: spec.goal, only: spec.only };
    const m = spec.measure;
    if (m.kind === 'figure') {
      const why = figures.whyMissing(m.key);
      return why === null ? { ...base, measured: figures.value(m.key), details: { key: m.key } } : { ...base, measured: NaN, note: why };
    }
    return { ...base, ...vsRedis(figures, m.keys) };
  });
}

/** The best of `keys` ÷ Redis-native, or why there is no ratio. */
function vsRedis(figures: Figures, keys: readonly string[]): Pick<BenchResult, 'measured' | 'note' | 'details'> {
  const present = keys.filter((k) => figures.whyMissing(k) === null);
  if (present.length === 0) return { measured: NaN, note: [...new Set(keys.map((k) => figures.whyMissing(k)))].join('; ') };
  const redisWhy = figures.whyMissing(REDIS_NATIVE);
  if (redisWhy !== null) return { measured: NaN, note: redisWhy };
  const best = present.reduce((a, b) => (figures.value(b) > figures.value(a) ? b : a));
  const redis = figures.value(REDIS_NATIVE);
  return {
    measured: figures.value(best) / redis,
    details: { key: best, signalsPerSec: figures.value(best), redisNativePerSec: redis, candidates: Object.fromEntries(present.map((k) => [k, figures.value(k)])) },
  };
}
