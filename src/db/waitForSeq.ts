import { defer, filter, map, merge, type Observable, of, type SchedulerLike, take, throwError, timeout } from 'rxjs';
import { TidalError } from '../errors.js';

/** What `waitForSeq$` watches on a database. */
export interface AppliedSource {
  /** The high-water mark now. */
  readonly appliedSeq: () => number;
  /** The high-water mark after each change. */
  readonly applied$: Observable<number>;
  /** Emits when the database closes. */
  readonly closed$: Observable<void>;
}

/**
 * Emits the high-water mark once it reaches `seq`, then completes; errors
 * with `Timeout` after `timeoutMs` or `Closed` if the database closes first.
 * It never hangs.
 *
 *   applied$ :  --3--5--9--
 *   result   :  --------(9|)     (waitFor 8, timeout 100 ms: '100ms #' had it not come)
 */
export function waitForSeq$(source: AppliedSource, seq: number, timeoutMs: number, scheduler: SchedulerLike): Observable<number> {
  return defer(() => {
    if (source.appliedSeq() >= seq) return of(source.appliedSeq());
    const closed$ = source.closed$.pipe(map((): number => {
      throw new TidalError('Closed', `database closed while waiting for seqno ${seq}`);
    }));
    return merge(source.applied$.pipe(filter((s) => s >= seq)), closed$).pipe(
      take(1),
      timeout({
        first: timeoutMs, scheduler,
        with: () => throwError(() => new TidalError('Timeout', `seqno ${seq} not applied within ${timeoutMs} ms (applied: ${source.appliedSeq()})`)),
      }),
    );
  });
}
