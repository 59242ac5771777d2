/**
 * Decay math, pure. The score of (item, type) at time t is
 *
 *   sum over its signals of  weight * 2^(-(t - at) / halfLife)
 *
 * Each item keeps it as a decayed mass: a `value` as of its own time
 * `atMs` (the latest signal's), worth value * 2^(-(t - atMs) / halfLife) at
 * t. Adding a signal only ever scales down (by a factor <= 1) or adds a
 * decayed weight, so |value| never exceeds the sum of |weight|s: no time
 * range, order or spread of legal timestamps can overflow it, and nothing is
 * measured against a shared reference time that a far-future signal could
 * move (which underflowed every other item to 0).
 *
 * For ranking, the same mass has a time-free log-domain key,
 * log2(value) + atMs / halfLife: at any t, score = 2^(key - t / halfLife),
 * so ordering by key is ordering by score, whatever t is.
 */

/**
 * Past 2^±1000 a power of two alone leaves the normal range of a double
 * (2^-1022 .. 2^1023) while its product with a value may still be an
 * ordinary number: such a factor is applied in two halves.
 */
const MAX_SINGLE_FACTOR_EXPONENT = 1000;

/** x * 2^exponent, over- or underflowing only when the product does. */
export function scaleByPow2(x: number, exponent: number): number {
  if (x === 0) return 0;
  if (Math.abs(exponent) <= MAX_SINGLE_FACTOR_EXPONENT) return x * Math.pow(2, exponent);
  const half = Math.pow(2, exponent / 2);
  return x * half * half;
}

/**
 * Adds `weight` at `atMs` to the mass at `slot` of two columns (its value,
 * and the time in ms that value is as of), in place: the older side is
 * decayed to the newer one's time, which the mass is then as of. The slot
 * must hold a mass (a first signal just sets both). Order-independent up to
 * rounding (~1e-16 relative per add).
 *
 * scaleByPow2's usual case is written out here rather than called: a call
 * that V8 has not inlined passes and returns doubles boxed, and it had not
 * when the ledger's add was optimized before any item had a second signal
 * (48 bytes of garbage a signal, measured with profileReplay.ts over 100k
 * items). Reading and writing the columns here keeps every double unboxed
 * whether or not this function is inlined. Same operations, same order:
 * the results are bit for bit scaleByPow2's.
 */
export function addToMassAt(values: Float64Array, times: Float64Array, slot: number, weight: number, atMs: number, halfLifeMs: number): void {
  const valueAtMs = times[slot]!;
  if (atMs >= valueAtMs) {
    const value = values[slot]!;
    const exponent = -(atMs - valueAtMs) / halfLifeMs;
    const scaled = value === 0 ? 0 : Math.abs(exponent) <= MAX_SINGLE_FACTOR_EXPONENT ? value * Math.pow(2, exponent) : scaleByPow2(value, exponent);
    values[slot] = scaled + weight;
    times[slot] = atMs;
  } else {
    const exponent = -(valueAtMs - atMs) / halfLifeMs;
    const scaled = weight === 0 ? 0 : Math.abs(exponent) <= MAX_SINGLE_FACTOR_EXPONENT ? weight * Math.pow(2, exponent) : scaleByPow2(weight, exponent);
    values[slot] = values[slot]! + scaled;
  }
}

/**
 * The score at `tMs` of a mass worth `value` at `atMs`:
 * value * 2^(-(tMs - atMs) / halfLifeMs). A score past the double range
 * (read long before its signals) saturates at ±Number.MAX_VALUE rather than
 * becoming ±Infinity.
 */
export function scoreAt(value: number, atMs: number, tMs: number, halfLifeMs: number): number {
  const score = scaleByPow2(value, -(tMs - atMs) / halfLifeMs);
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, score));
}

/**
 * The log-domain ranking key of the mass at `slot` of two columns (its
 * value, and the time in ms that value is as of):
 * log2(value) + atMs / halfLifeMs, or -Infinity for a value <= 0 (such
 * items rank below every positive one; among themselves the ledger ranks
 * them by computed score). Read from the columns, as addToMassAt writes
 * them: a call that is not inlined then boxes only the key it returns.
 */
export function rankKeyAt(values: Float64Array, times: Float64Array, slot: number, halfLifeMs: number): number {
  const value = values[slot]!;
  return value > 0 ? Math.log2(value) + times[slot]! / halfLifeMs : -Infinity;
}

/**
 * How far apart two keys (or a key and log2 of a score plus t / halfLife)
 * may be from rounding alone: keys near `magnitude` are sums and quotients
 * of doubles near it, each off by at most a few units in the last place
 * (2^-52 relative). 2^-44 relative leaves a 256x margin; 2^-30 absolute
 * covers log2 of the value itself.
 */
export function keySlack(magnitude: number): number {
  return Math.abs(magnitude) * 2 ** -44 + 2 ** -30;
}
