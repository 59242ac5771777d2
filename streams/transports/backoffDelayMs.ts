import { TidalError } from '../../src/index.js';
import { RECONNECT_BASE_MS, RECONNECT_CAP_MS } from './tcpDefaults.js';

/** Exponents past this cannot matter (2^30 × 100 ms is far past any cap) and would overflow toward Infinity. */
const MAX_EXPONENT = 30;

/**
 * The wait before reconnect attempt `attempt`: capped exponential backoff with
 * full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniform draw in [0, min(capMs, baseMs × 2^attempt)).
 *
 * Full jitter spreads the followers of a restarted leader over the whole
 * window instead of letting them reconnect in lockstep.
 *
 *   attempt : 0      1      2      3      …  7+
 *   ceiling : 100ms  200ms  400ms  800ms  …  10s (capped)
 *
 * @example
 * backoffDelayMs(0, 0.5); // 50
 * backoffDelayMs(3, 0.5); // 400
 * backoffDelayMs(99, 0.5); // 5000
 *
 * @param attempt failed attempts since the last successful connection, from 0
 * @param random a uniform draw in [0, 1), e.g. `Math.random()`
 * @param baseMs the ceiling of attempt 0, in ms
 * @param capMs the largest ceiling, in ms
 * @returns the delay in whole ms, in [0, min(capMs, baseMs × 2^attempt))
 * @see reconnectWithBackoff
 */
export function backoffDelayMs(attempt: number, random: number, baseMs = RECONNECT_BASE_MS, capMs = RECONNECT_CAP_MS): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw invalid(`backoff attempt must be an integer >= 0, got ${attempt}`);
  if (!(random >= 0 && random < 1)) throw invalid(`backoff random draw must be in [0, 1), got ${random}`);
  if (!(baseMs > 0 && capMs >= baseMs)) throw invalid(`backoff needs 0 < baseMs <= capMs, got ${baseMs} and ${capMs}`);
  const ceilingMs = Math.min(capMs, baseMs * 2 ** Math.min(attempt, MAX_EXPONENT));
  return Math.floor(random * ceilingMs);
}

function invalid(message: string): TidalError {
  return new TidalError('InvalidInput', message);
}
