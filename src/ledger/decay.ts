/**
 * Decay math, pure. The score of (item, type) at time t is
 *
 *   sum over its signals of  weight * 2^(-(t - at) / halfLife)
 *
 * Stored as a mass relative to a per-type reference time `ref`:
 *
 *   mass = sum of weight * 2^((at - ref) / halfLife)
 *   score(t) = mass * 2^(-(t - ref) / halfLife)
 *
 * so adding a signal is O(1), the order signals arrive in does not matter
 * (up to floating-point rounding, ~1e-15 relative), and at any t every item's
 * score of one type is its mass times the same factor: ranking by mass is
 * ranking by score, whatever t is.
 */

/** 2^((at - refMs) / halfLifeMs): what one unit of weight at `at` adds to the mass. */
export function massOf(weight: number, atMs: number, refMs: number, halfLifeMs: number): number {
  return weight * Math.pow(2, (atMs - refMs) / halfLifeMs);
}

/** 2^(-(t - refMs) / halfLifeMs): what turns a mass into a score at `t`. */
export function decayFactor(tMs: number, refMs: number, halfLifeMs: number): number {
  return Math.pow(2, -(tMs - refMs) / halfLifeMs);
}

/**
 * Past 2^±1000 the factor alone leaves the normal range of a double (2^-1022
 * .. 2^1023): it loses precision, then becomes 0 or Infinity, while the
 * product with a mass may still be an ordinary number (a mass of 2^500
 * queried 1200 half-lives after its reference scores 2^-700).
 */
const MAX_SINGLE_FACTOR_EXPONENT = 1000;

/**
 * The function mass => mass * 2^(-(t - refMs) / halfLifeMs): a score at `t`,
 * or a mass moved to the reference time `t`. Monotone in the mass, so it
 * keeps the mass order. A factor outside the normal range is applied in two
 * halves, so the result underflows or overflows only when the product does.
 */
export function decayAt(tMs: number, refMs: number, halfLifeMs: number): (mass: number) => number {
  const exponent = -(tMs - refMs) / halfLifeMs;
  if (Math.abs(exponent) <= MAX_SINGLE_FACTOR_EXPONENT) {
    const factor = Math.pow(2, exponent);
    return (mass) => mass * factor;
  }
  const half = Math.pow(2, exponent / 2);
  return (mass) => (mass === 0 ? 0 : mass * half * half);
}

/** The definition, term by term: for tests and audits, not the hot path. */
export function decayScoreDirect(signals: Iterable<{ weight: number; at: number }>, tMs: number, halfLifeMs: number): number {
  let sum = 0;
  for (const s of signals) sum += s.weight * Math.pow(2, -(tMs - s.at) / halfLifeMs);
  return sum;
}
