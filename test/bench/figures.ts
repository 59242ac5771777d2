/**
 * The keyed figures of one bench run, for rows computed across benchmarks
 * (issue9Rows.ts, replicationComparison.ts). A key starts with the
 * BENCH_ONLY name of the benchmark that measures it ('redis.native' comes
 * from `redis`), so a missing figure can say why it is missing.
 */
import type { BenchResult } from './stats.js';

/** The key of the row `redis` returns when Redis is not installed; `details.reason` says what is missing. */
export const REDIS_UNAVAILABLE = 'redis.unavailable';

/** What main.ts knows about the run besides its results. */
export interface RunOutline {
  /** BENCH_ONLY names of the benchmarks that ran (failed ones included). */
  readonly ran: ReadonlySet<string>;
  /** BENCH_ONLY names of the benchmarks that threw. */
  readonly failed: ReadonlySet<string>;
}

export class Figures {
  private readonly byKey = new Map<string, BenchResult>();

  constructor(results: readonly BenchResult[], private readonly outline: RunOutline) {
    for (const r of results) if (r.key !== undefined) this.byKey.set(r.key, r);
  }

  /** The row measured under `key`, if any. */
  row(key: string): BenchResult | undefined {
    return this.byKey.get(key);
  }

  /** The figure under `key`; NaN when there is none (see `whyMissing`). */
  value(key: string): number {
    return this.byKey.get(key)?.measured ?? NaN;
  }

  /** Why `key` has no figure: not run, failed, Redis missing, or absent; null when it has one. */
  whyMissing(key: string): string | null {
    if (Number.isFinite(this.value(key))) return null;
    const bench = benchmarkOf(key);
    if (!this.outline.ran.has(bench)) return 'not run';
    if (this.outline.failed.has(bench)) return `${bench} FAILED`;
    const redis = this.byKey.get(REDIS_UNAVAILABLE);
    if (bench === 'redis' && redis) return `n/a: ${String(redis.details?.reason ?? 'Redis not measured')}`;
    const row = this.byKey.get(key);
    return row ? `n/a: ${row.measured}` : `n/a: ${bench} reported no ${key}`;
  }
}

/** The BENCH_ONLY name a key belongs to: its first segment. */
export function benchmarkOf(key: string): string {
  return key.slice(0, key.indexOf('.') < 0 ? key.length : key.indexOf('.'));
}
