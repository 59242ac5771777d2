/**
 * SimScheduler: the one virtual clock of a simulated cluster. Every timer in
 * the leader, the followers, the network and the disk is an action on it.
 *
 * RxJS's VirtualTimeScheduler runs its actions in one synchronous `flush()`,
 * but the database's disk path is Promises (an fsync resolves, then a write
 * resolves, then a segment is applied). So this scheduler runs one action at
 * a time and drains the microtask queue after each: everything an action
 * started settles before the clock moves on, and the order is the same on
 * every run with the same seed.
 */
import { VirtualTimeScheduler } from 'rxjs';

/**
 * Actions one `runUntil` may run. A step covers at most a few hundred virtual
 * ms, with tens of timers; a hundred thousand means something reschedules
 * itself at the same instant forever (a livelock), which is a finding.
 */
export const MAX_ACTIONS_PER_RUN = 100_000;

export class SimScheduler extends VirtualTimeScheduler {
  /** Actions run so far, for the figures. */
  actionsRun = 0;

  /** @param startMs the virtual wall clock at the start, ms since epoch */
  constructor(startMs: number) {
    super();
    this.frame = startMs;
  }

  /**
   * Runs every action due at or before `untilMs`, in time order, draining
   * microtasks after each; then moves the clock to `untilMs`.
   * @throws when an action throws, or past MAX_ACTIONS_PER_RUN actions
   */
  async runUntil(untilMs: number): Promise<void> {
    await drainMicrotasks();
    let ran = 0;
    for (;;) {
      const action = this.actions[0];
      if (!action || action.delay > untilMs) break;
      this.actions.shift();
      this.frame = action.delay;
      const error: unknown = action.execute(action.state, action.delay);
      if (error) throw error;
      if (++ran > MAX_ACTIONS_PER_RUN) throw new Error(`livelock: over ${MAX_ACTIONS_PER_RUN} actions before virtual time ${untilMs}`);
      await drainMicrotasks();
    }
    this.actionsRun += ran;
    this.frame = Math.max(this.frame, untilMs);
  }

  /** Actions waiting (timers still armed). */
  get pendingActions(): number {
    return this.actions.length;
  }
}

/**
 * Resolves once every microtask queued so far, and every one those queue,
 * has run: Node drains the whole microtask queue before it runs an
 * immediate. No time passes for the simulation (this is not a timer); the
 * cost is about a microsecond.
 */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
