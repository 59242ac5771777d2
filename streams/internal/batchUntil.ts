import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { DEFAULT_SCHEDULER } from '../defaults.js';

/**
 * Collects values into batches, emitting one when it holds `maxBatch`
 * values or `maxDelayMs` after its first value, whichever comes first, and
 * the rest when the source completes. No timer runs while no batch is open
 * (unlike `bufferTime`, which ticks forever).
 *
 *   source :  -abc-------d---|        (maxBatch 3, maxDelayMs 5)
 *   result :  ---x--------------y|    (x = [a, b, c] when full; y = [d] 5 ms after d... or at completion)
 *
 * @param maxBatch values per batch, >= 1
 * @param maxDelayMs longest a value waits for its batch to fill, in ms
 */
export function batchUntil<T>(maxBatch: number, maxDelayMs: number, scheduler: SchedulerLike = DEFAULT_SCHEDULER): OperatorFunction<T, T[]> {
  return (source) => new Observable<T[]>((subscriber) => {
    let batch: T[] = [];
    let timer: Subscription | null = null;
    const flush = () => {
      timer?.unsubscribe();
      timer = null;
      if (batch.length === 0) return;
      const full = batch;
      batch = [];
      subscriber.next(full);
    };
    const sub = source.subscribe({
      next: (value) => {
        batch.push(value);
        if (batch.length >= maxBatch) flush();
        else if (timer === null) timer = scheduler.schedule(flush, maxDelayMs);
      },
      error: (err) => subscriber.error(err),
      complete: () => {
        flush();
        subscriber.complete();
      },
    });
    return () => {
      timer?.unsubscribe();
      sub.unsubscribe();
    };
  });
}
