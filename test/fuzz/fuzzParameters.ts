/**
 * fast-check parameters for every fuzzer in test/fuzz: a fixed seed by
 * default, so CI is deterministic, and two environment variables for
 * longer or different runs.
 *
 *   FUZZ_SEED=123 npx vitest run test/fuzz        # another fixed seed
 *   FUZZ_RUNS=20 npx vitest run test/fuzz          # 20 times the default cases of each property
 *
 * fast-check prints the seed and the counterexample path of a failure;
 * replay one with FUZZ_SEED=<seed> (and the same FUZZ_RUNS).
 */
import fc from 'fast-check';

/** The seed every property uses unless FUZZ_SEED says otherwise. */
export const DEFAULT_FUZZ_SEED = 20_240_707;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** The seed of this run. */
export const fuzzSeed = envInt('FUZZ_SEED', DEFAULT_FUZZ_SEED);
/** Multiplier on every property's default case count. */
export const fuzzRunsMultiplier = Math.max(1, envInt('FUZZ_RUNS', 1));

/**
 * Parameters for one property: `defaultRuns` cases in CI (times FUZZ_RUNS),
 * on the run's seed, so the seed fast-check prints on a failure is the
 * FUZZ_SEED that replays it.
 */
export function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  return { seed: fuzzSeed, numRuns: runs(defaultRuns) };
}

/** The cases a property with `defaultRuns` gets in this run (for test titles). */
export function runs(defaultRuns: number): number {
  return defaultRuns * fuzzRunsMultiplier;
}
