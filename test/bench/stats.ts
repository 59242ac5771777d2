/**
 * Small statistics and the result table: medians of runs, percentiles of
 * sorted latency samples, and one row per measured value.
 */

/** One measured value with the goal it is held to. */
export interface BenchResult {
  readonly benchmark: string;
  readonly measured: number;
  /** Unit of `measured` and of the goal, e.g. 'signals/s', 'ms', 'MB'. */
  readonly unit: string;
  /** null: informational, no goal. */
  readonly goal: Goal | null;
  /** Everything else worth keeping in the JSON (runs, percentiles, counts). */
  readonly details?: Record<string, unknown>;
  /** A stable name for the figure, for rows computed from other benchmarks' figures (issue9Rows.ts). */
  readonly key?: string;
  /** Shown instead of the figure when `measured` is NaN: why there is none (skipped, not run, failed). */
  readonly note?: string;
  /** The BENCH_ONLY names that produce the row (shown as a column when any row has them). */
  readonly only?: string;
}

export interface Goal {
  readonly op: '>=' | '<=' | '<';
  readonly value: number;
}

/** Latency percentiles in ms. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile `p` (0..100) of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const arr = Array.from(sorted);
  const sum = arr.reduce((a, b) => a + b, 0);
  return {
    count: arr.length, p50Ms: percentile(arr, 50), p99Ms: percentile(arr, 99),
    maxMs: arr.length ? arr[arr.length - 1]! : NaN, meanMs: arr.length ? sum / arr.length : NaN,
  };
}

/** The run whose `key` is the median (lower median for an even count), so its other fields stay consistent. */
export function medianRun<T>(runs: readonly T[], key: (run: T) => number): T {
  if (runs.length === 0) throw new Error('medianRun: no runs');
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[(sorted.length - 1) >> 1]!;
}

/** null: no goal, or nothing measured (NaN); a timeout (Infinity) is judged, and fails a finite bound. */
export function goalMet(r: BenchResult): boolean | null {
  if (r.goal === null || Number.isNaN(r.measured)) return null;
  if (!Number.isFinite(r.measured)) return false;
  const { op, value } = r.goal;
  return op === '>=' ? r.measured >= value : op === '<=' ? r.measured <= value : r.measured < value;
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(3);
}

const OP_SYMBOL = { '>=': '≥', '<=': '≤', '<': '<' } as const;

/** The result table: benchmark | measured | goal | met? (| BENCH_ONLY, when any row names it). */
export function formatTable(results: readonly BenchResult[]): string {
  const withOnly = results.some((r) => r.only !== undefined);
  const header = ['benchmark', 'measured', 'goal', 'met?', ...(withOnly ? ['BENCH_ONLY'] : [])];
  const rows = results.map((r) => {
    const met = goalMet(r);
    return [
      r.benchmark,
      Number.isNaN(r.measured) ? r.note ?? '-' : `${formatNumber(r.measured)} ${r.unit}`,
      r.goal ? `${OP_SYMBOL[r.goal.op]} ${formatNumber(r.goal.value)} ${r.unit}` : '-',
      met === null ? (r.goal && Number.isNaN(r.measured) ? 'n/a' : '-') : met ? 'yes' : 'NO',
      ...(withOnly ? [r.only ?? ''] : []),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
