import { catchError, concatMap, defer, expand, filter, map, type Observable, of, type SchedulerLike, timer } from 'rxjs';
import type { CheckpointSource } from '../src/index.js';
import { DEFAULT_SCHEDULER } from './defaults.js';

// walShipper.ts and segmentReceiver.ts import it from here; streams/defaults.ts is where it lives.
export { DEFAULT_CHECKPOINT_INTERVAL_MS } from './defaults.js';

/** What periodicCheckpoints uses of a database: its `replication` seam's checkpointing (a TidalDb has it). */
export interface CheckpointingDb {
  readonly replication: CheckpointSource;
}

/** What the last checkpoint covered: a new seqno, or a newly sealed segment for retention to weigh, is a change since. */
export interface CheckpointMark {
  readonly seq: number;
  readonly sealedSegments: number;
}

/** One attempt's result: the mark after it, and the seqno it checkpointed (null: none taken, or it failed). */
interface Attempt {
  readonly mark: CheckpointMark;
  readonly seq: number | null;
}

/**
 * Checkpoints `db` every `intervalMs` when it has changed since the last
 * one (a new seqno, or a newly sealed segment), one at a time: the next
 * attempt is `intervalMs` after the last one settled, so a slow checkpoint
 * is never stacked on. On a node that runs for long, this is what keeps open
 * fast and lets retention (which runs at each checkpoint) keep the disk
 * bounded. Emits each checkpoint's seqno.
 *
 *   interval :  ---t---t---t---t
 *   writes   :  -w-------w------
 *   result   :  ---a-------b----   (no checkpoint at the 2nd and 4th ticks: nothing changed)
 *
 * A failed checkpoint goes to `onError` and the next attempt tries again.
 * What the last checkpoint covered is passed from one attempt to the next
 * (`expand`), never kept in a variable a callback changes.
 *
 * @example
 * periodicCheckpoints(db, 60_000, { onError: (err) => log(err) }).subscribe((seq) => console.log('checkpoint at', seq));
 *
 * @param db a TidalDb (or anything with its `replication` checkpointing)
 * @param intervalMs ms between attempts, > 0
 * @param options.track runs each checkpoint as work in flight that outlives an unsubscribe (a pipeline's stop() waits for it)
 * @see WalShipper, SegmentReceiver (both run one, `checkpointIntervalMs`)
 */
export function periodicCheckpoints(
  db: CheckpointingDb, intervalMs: number,
  options: { scheduler?: SchedulerLike; onError?: (err: unknown) => void; track?: <T>(work$: Observable<T>) => Observable<T> } = {},
): Observable<number> {
  const track = options.track ?? (<T>(work$: Observable<T>) => work$);
  const scheduler = options.scheduler ?? DEFAULT_SCHEDULER;
  return defer(() => {
    const source = db.replication;
    const changed = (mark: CheckpointMark) => source.lastSeq !== mark.seq || source.sealedSegmentCount !== mark.sealedSegments;
    const attempt$ = (mark: CheckpointMark): Observable<Attempt> => (source.isClosed() || !changed(mark)
      ? of({ mark, seq: null })
      : track(source.checkpoint$()).pipe(
        // What it covered, counted after retention ran.
        map((seq): Attempt => ({ mark: { seq, sealedSegments: source.sealedSegmentCount }, seq })),
        catchError((err: unknown) => {
          options.onError?.(err);
          return of<Attempt>({ mark, seq: null });
        }),
      ));
    const first: Attempt = { mark: { seq: source.recoveredCheckpointSeq, sealedSegments: source.sealedSegmentCount }, seq: null };
    return of(first).pipe(
      expand(({ mark }) => timer(intervalMs, scheduler).pipe(concatMap(() => attempt$(mark)))),
      filter((a) => a.seq !== null),
      map((a) => a.seq!),
    );
  });
}
