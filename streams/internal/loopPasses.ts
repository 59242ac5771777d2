import { Observable, type Subscription } from 'rxjs';

/**
 * Runs `pass()` again and again, in order, until a pass completes having
 * emitted nothing (or, with `forever`, until unsubscribed or errored).
 *
 * Like `repeat()`, but trampolined: passes that complete synchronously
 * (in-memory segments, virtual time) loop instead of nesting, so catching up
 * ten thousand segments does not grow the call stack.
 *
 *   pass 1: -a|   pass 2: -b|   pass 3: |
 *   result: -a-b|
 */
export function loopPasses<T>(pass: () => Observable<T>, forever = false): Observable<T> {
  return new Observable<T>((subscriber) => {
    let current: Subscription | null = null;
    const runOne = (): boolean => {
      let emitted = false;
      let running = true;
      let completedDuringRun = false;
      current = pass().subscribe({
        next: (value) => {
          emitted = true;
          subscriber.next(value);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          if (!emitted && !forever) return subscriber.complete();
          if (running) completedDuringRun = true;
          else runLoop();
        },
      });
      running = false;
      return completedDuringRun;
    };
    const runLoop = (): void => {
      while (!subscriber.closed && runOne()) { /* next pass */ }
    };
    runLoop();
    return () => current?.unsubscribe();
  });
}
