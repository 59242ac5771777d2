import { asyncScheduler, catchError, defer, EMPTY, exhaustMap, filter, interval, type Observable, type SchedulerLike, tap } from 'rxjs';
import type { CheckpointSource } from '../src/index.js';

/** What periodicCheckpoints uses of a database: its `replication` seam's checkpointing (a TidalDb has it). */
export interface CheckpointingDb {
  readonly replication: CheckpointSource;
}

/**
 * Checkpoints `db` every `intervalMs` when it has changed since the last
 * one (a new seqno, or a newly sealed segment), one at a time (a slow checkpoint is not stacked on). On a node that
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
  db: CheckpointingDb, intervalMs: number,
  options: { scheduler?: SchedulerLike; onError?: (err: unknown) => void; track?: <T>(work$: Observable<T>) => Observable<T> } = {},
): Observable<number> {
  const track = options.track ?? (<T>(work$: Observable<T>) => work$);
  return defer(() => {
    const source = db.replication;
    // What the last checkpoint saw: a new seqno, or a newly sealed segment for retention to weigh, is a change.
    let seen = { seq: source.recoveredCheckpointSeq, sealed: source.sealedSegmentCount };
    const changed = () => source.lastSeq !== seen.seq || source.sealedSegmentCount !== seen.sealed;
    return interval(intervalMs, options.scheduler ?? asyncScheduler).pipe(
      filter(() => !source.isClosed() && changed()),
      exhaustMap(() => track(source.checkpoint$()).pipe(
        tap((seq) => (seen = { seq, sealed: source.sealedSegmentCount })), // counted after retention ran
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
