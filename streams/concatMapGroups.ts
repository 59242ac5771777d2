import { from, Observable, type ObservableInput, type OperatorFunction, Subscription } from 'rxjs';

/**
 * Like `concatMap`, but each inner Observable gets every value that arrived
 * while the previous one ran (at most `maxGroup` of them, oldest first), as
 * one array: the shape of a group commit. While nothing runs, a value starts
 * its own group at once, so a synchronous `project` sees groups of one and
 * behaves exactly as `concatMap`.
 *
 *   source :  -a-b-c-----d-|
 *   inner  :   [a]---|          (a runs 5 frames; b and c arrive meanwhile)
 *   inner  :         [b,c]-|    (d arrives after: a group of its own)
 *   result :  ------A-----BC-D-|
 *
 * Completes once the source has completed and the last group's inner
 * Observable has; an error from either is passed on and tears both down.
 * Values beyond `maxGroup` wait for the next group (they are never dropped);
 * the queue holds what the source emits faster than groups complete, so
 * bound it upstream (a transport's bounded channel does).
 *
 * @example
 * ```ts
 * import { interval, take, delay, of } from 'rxjs';
 * interval(1).pipe(take(6), concatMapGroups((group) => of(group.length).pipe(delay(3)), 64))
 *   .subscribe(console.log); // 1, then 3, then 2: each group is what arrived during the previous one
 * ```
 *
 * @param project maps a group (never empty) to the Observable that handles it
 * @param maxGroup the most values in one group, at least 1
 * @see idempotentReplay
 */
export function concatMapGroups<T, R>(project: (group: T[]) => ObservableInput<R>, maxGroup: number): OperatorFunction<T, R> {
  if (!Number.isInteger(maxGroup) || maxGroup < 1) throw new RangeError(`concatMapGroups: maxGroup must be an integer >= 1, got ${maxGroup}`);
  return (source) => new Observable<R>((subscriber) => {
    const queue: T[] = [];
    let current: Subscription | null = null;
    let sourceDone = false;
    const next = (): void => {
      if (current !== null) return;
      if (queue.length === 0) {
        if (sourceDone) subscriber.complete();
        return;
      }
      const group = queue.splice(0, maxGroup);
      const running = new Subscription();
      current = running;
      let inner$: Observable<R>;
      try {
        inner$ = from(project(group));
      } catch (err) {
        subscriber.error(err);
        return;
      }
      // A synchronous inner completes inside subscribe and may start the next group: `current` is then that one.
      running.add(inner$.subscribe({
        next: (value) => subscriber.next(value),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (current === running) current = null;
          next();
        },
      }));
    };
    const upstream = source.subscribe({
      next: (value) => {
        queue.push(value);
        next();
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        sourceDone = true;
        next();
      },
    });
    return () => {
      queue.length = 0;
      upstream.unsubscribe();
      current?.unsubscribe();
    };
  });
}
