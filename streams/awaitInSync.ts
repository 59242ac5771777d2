/**
 * The wait behind `WalShipper.awaitInSync`: every follower in the set has
 * acked the leader's lastSeq as of the subscription. Seals at once rather
 * than at the next tick; errors with `Timeout` after `timeoutMs`, `Closed`
 * when the shipper stops first, `InvalidInput` for a bad timeout.
 *
 *   book    : -b----b----b---   (acks move the marks)
 *   sealNow : -s                (on subscribe)
 *   result  : -----------(u|)   (every follower at the target)
 */
import {
  type BehaviorSubject, defer, filter, map, type Observable, type SchedulerLike, take, throwError, throwIfEmpty, timeout,
} from 'rxjs';
import { DEFAULT_SCHEDULER } from './defaults.js';
import { TidalError } from '../src/index.js';
import { type FollowerBook, followersBehind } from './followerBookStep.js';

/** What the wait reads of the shipper. */
export interface InSyncSource {
  readonly book: BehaviorSubject<FollowerBook>;
  readonly sealNow: () => void;
  readonly lastSeq: () => number;
  readonly scheduler?: SchedulerLike;
}

export function awaitInSync$(source: InSyncSource, options: { timeoutMs: number; scheduler?: SchedulerLike }): Observable<void> {
  return defer(() => {
    const { timeoutMs } = options ?? {};
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      return throwError(() => new TidalError('InvalidInput', `awaitInSync: timeoutMs must be a number of ms >= 0, got ${String(timeoutMs)}`));
    }
    const target = source.lastSeq();
    source.sealNow();
    return source.book.pipe(
      filter((book) => followersBehind(book, target).length === 0),
      take(1),
      map(() => undefined),
      throwIfEmpty(() => new TidalError('Closed', `awaitInSync: the shipper stopped before every follower acked seqno ${target}`)),
      timeout({
        first: timeoutMs, scheduler: options.scheduler ?? source.scheduler ?? DEFAULT_SCHEDULER,
        with: () => throwError(() => new TidalError('Timeout', `awaitInSync: followers ${followersBehind(source.book.value, target).join(', ')} had not acked seqno ${target} within ${timeoutMs} ms`)),
      }),
    );
  });
}
