/**
 * Benchmark configuration from the environment:
 *
 *   BENCH_SCALE=0.05   multiplies every size (default 1: the sizes in the goals)
 *   BENCH_ONLY=a,b     runs only the named benchmarks (see main.ts)
 *   BENCH_REPEAT=n     overrides how many times each repeatable run is repeated
 *
 * Goals are stated for scale 1; at any other scale the "met?" column is
 * indicative only.
 */

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/** Size multiplier. */
export const BENCH_SCALE = envNumber('BENCH_SCALE', 1);

/** Benchmark names to run, or null for all. */
export const BENCH_ONLY: ReadonlySet<string> | null = process.env.BENCH_ONLY
  ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
  : null;

/** `n` times the scale, rounded, at least `min`. */
export function scaled(n: number, min = 1): number {
  return Math.max(min, Math.round(n * BENCH_SCALE));
}

/** Repetitions of a run: BENCH_REPEAT if set, else `fallback`. */
export function repeats(fallback: number): number {
  return Math.max(1, Math.round(envNumber('BENCH_REPEAT', fallback)));
}
