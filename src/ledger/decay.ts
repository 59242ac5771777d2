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

/** The definition, term by term: for tests and audits, not the hot path. */
export function decayScoreDirect(signals: Iterable<{ weight: number; at: number }>, tMs: number, halfLifeMs: number): number {
  let sum = 0;
  for (const s of signals) sum += s.weight * Math.pow(2, -(tMs - s.at) / halfLifeMs);
  return sum;
}
