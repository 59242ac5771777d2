/**
 * Seeds that once failed, run on every `npm test` (simulation.test.ts), each
 * with what it caught. A seed that shows a known src/ defect only with that
 * defect's workaround off is in knownDefects.test.ts instead, skipped until
 * the fix lands.
 */
export interface RegressionSeed {
  readonly seed: number;
  /** Steps, when the failure was found with --steps. */
  readonly steps?: number;
  /** What failed, and where it was fixed (or which simulation bug it was). */
  readonly why: string;
}

export const REGRESSION_SEEDS: readonly RegressionSeed[] = [];
