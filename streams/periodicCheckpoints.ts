import { asyncScheduler, catchError, defer, EMPTY, exhaustMap, filter, interval, type Observable, type SchedulerLike, tap } from 'rxjs';
import type { TidalDb } from '../src/index.js';

/**
 * Checkpoints `db` every `intervalMs` when it has changed since the last
 * one, one at a time (a slow checkpoint is not stacked on). On a node that
 * runs for long, this is what keeps open fast and lets retention (which runs
 * at each checkpoint) keep the disk bounded. Emits each checkpoint's seqno.
 *
 *   interval :  ---t---t---t---t
 *   writes   :  -w-------w------
 *   result   :  ---a-------b----   (no checkpoint at the 2nd and 4th ticks: nothing changed)
 *
 * A failed checkpoint goes to `onError` and the next tick tries again.
 *
 * @param intervalMs ms between attempts, > 0
 * @see WalShipper, SegmentReceiver (both run one, `checkpointIntervalMs`)
 */
export function periodicCheckpoints(
  db: TidalDb, intervalMs: number, options: { scheduler?: SchedulerLike; onError?: (err: unknown) => void } = {},
): Observable<number> {
  return defer(() => {
    let lastSeq = db.recovery.checkpointSeq; // the newest checkpoint when it opened
    return interval(intervalMs, options.scheduler ?? asyncScheduler).pipe(
      filter(() => db.lastSeq !== lastSeq && !db.isClosed()),
      exhaustMap(() => defer(() => db.checkpoint()).pipe(
        tap((seq) => (lastSeq = seq)),
        catchError((err) => {
          options.onError?.(err);
          return EMPTY;
        }),
      )),
    );
  });
}

/** One minute: open replays at most a minute of writes, and retention runs that often. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;
