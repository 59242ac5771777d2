/**
 * Lets a tight loop of awaited writes yield to the event loop. In memory a
 * write is done at once, so `for (;;) await db.signal(s)` runs on promise
 * microtasks alone and no timer, socket or seal tick gets a turn until the
 * loop ends. A write's promise therefore resolves at once while the event
 * loop has had a turn within the last `budgetMs`; past that, after the next
 * turn (setImmediate), so timers and I/O due by then run first.
 */
export class EventLoopTurns {
  private lastTurnMs = performance.now();
  private turn: Promise<void> | null = null;
  private sinceCheck = 0;

  /**
   * @param budgetMs how long writes may run without a turn, in ms
   * @param checkEvery read the clock once per this many calls (a clock read costs about as much as a write's bookkeeping)
   */
  constructor(private readonly budgetMs: number, private readonly checkEvery = 16) {}

  /** `value`, at once or after the next event-loop turn (see the file comment). */
  settle<T>(value: T): Promise<T> {
    if (this.turn === null) {
      if (++this.sinceCheck < this.checkEvery) return Promise.resolve(value);
      this.sinceCheck = 0;
      if (performance.now() - this.lastTurnMs < this.budgetMs) return Promise.resolve(value);
      this.turn = new Promise((resolve) => setImmediate(() => {
        this.turn = null;
        this.lastTurnMs = performance.now();
        resolve();
      }));
    }
    return this.turn.then(() => value);
  }
}
