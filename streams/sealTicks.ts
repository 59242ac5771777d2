import { interval, type Observable, type SchedulerLike } from 'rxjs';
import { TidalError } from '../src/index.js';
import { DEFAULT_SCHEDULER } from './defaults.js';

/**
 * Seal ticks: a tick every `intervalMs`, the clock of timer-based sealing.
 * The first tick comes one interval after subscribing.
 *
 *   sealTicks(20) :  --0-1-2-3-   (time unit 10 ms)
 *
 * @example
 * ```ts
 * sealedSegments(db, sealTicks(2000)).subscribe((s) => console.log(`sealed up to ${s.lastSeq}`));
 * // sealed up to 1200   (2 s after subscribing, if 1,200 events were written by then)
 * ```
 *
 * @param intervalMs ms between ticks, > 0 (the seed's `wal_ship_interval`, 2000 by default in startLeader)
 * @param scheduler for virtual time in tests; default asyncScheduler
 * @see sealedSegments
 */
export function sealTicks(intervalMs: number, scheduler: SchedulerLike = DEFAULT_SCHEDULER): Observable<number> {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw new TidalError('InvalidInput', `intervalMs must be a positive finite number of ms, got ${String(intervalMs)}`);
  }
  return interval(intervalMs, scheduler);
}
