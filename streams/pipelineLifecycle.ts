/**
 * The visible state of a running pipeline (a leader's WalShipper, a
 * follower's SegmentReceiver), in the spirit of RxDB's replication state:
 * a `state$` BehaviorSubject and an `error$` of fatal errors only, both
 * owned here, plus the count of work in flight (a seal, a checkpoint) that
 * `stop()` waits for: `track(work$)` runs such work to its end whatever its
 * subscriber does, as a write that has started must land.
 *
 *   state$ :  starting--running--degraded--running--stopped|
 *                       (first    (a per-     (next     (stop() settled)
 *                        pass)     segment     success)
 *                                  failure)
 *   or     :  starting--running--------failed|   with error$: ----E|
 */
import { BehaviorSubject, defer, filter, finalize, type Observable, ReplaySubject, Subject, take } from 'rxjs';
import { TidalError, WalError } from '../src/index.js';

/** Where a pipeline stands. */
export type PipelineState = 'starting' | 'running' | 'degraded' | 'failed' | 'stopped';

/** A fatal pipeline error: always typed. */
export type PipelineError = TidalError | WalError;

export class PipelineLifecycle {
  private readonly stateSubject = new BehaviorSubject<PipelineState>('starting');
  private readonly errorSubject = new Subject<PipelineError>();
  /** Tracked work not yet settled. */
  private readonly inFlight = new BehaviorSubject<number>(0);
  private settling: Promise<void> | null = null;

  /** The state now, replayed to new subscribers; completes after 'stopped' or 'failed'. */
  readonly state$: Observable<PipelineState> = this.stateSubject.asObservable();
  /** Fatal errors only (at most one), each typed; completes with state$. */
  readonly error$: Observable<PipelineError> = this.errorSubject.asObservable();

  get state(): PipelineState {
    return this.stateSubject.value;
  }

  /** True once stopped or failed: nothing more will run. */
  get ended(): boolean {
    return this.state === 'stopped' || this.state === 'failed' || this.settling !== null;
  }

  /** The first pass ran: 'running' (from 'starting' only). */
  started(): void {
    if (this.state === 'starting') this.stateSubject.next('running');
  }

  /** A pass succeeded: 'running' (from 'starting' or 'degraded'). */
  ok(): void {
    if (this.state === 'starting' || this.state === 'degraded') this.stateSubject.next('running');
  }

  /** A recoverable failure (a segment not shipped or applied, a checkpoint that failed): 'degraded' until the next success. */
  degraded(): void {
    if (this.state === 'running' || this.state === 'starting') this.stateSubject.next('degraded');
  }

  /**
   * Cold: on subscribe, starts `work$` and counts it as in flight until it
   * settles, whatever the subscriber does: unsubscribing stops listening, not
   * the work, and `stop()` waits for it. Replays the work's outcome.
   *
   *   work$      :  ---a|
   *   subscriber :  -^-!          (unsubscribed at 3)
   *   in flight  :  -1---0        (stop() at 3 settles at 4)
   */
  track<T>(work$: Observable<T>): Observable<T> {
    return defer(() => {
      const outcome = new ReplaySubject<T>();
      this.inFlight.next(this.inFlight.value + 1);
      work$.pipe(finalize(() => this.inFlight.next(this.inFlight.value - 1))).subscribe(outcome);
      return outcome;
    });
  }

  /**
   * A fatal error: `error$` carries it (typed: anything else is wrapped as
   * TidalError 'Failed'), then the state is 'failed' and both complete.
   * The caller tears its streams down first. Ignored once ended.
   */
  fail(error: unknown): void {
    if (this.ended) return;
    this.settling = Promise.resolve();
    this.errorSubject.next(typed(error));
    this.errorSubject.complete();
    this.stateSubject.next('failed');
    this.stateSubject.complete();
  }

  /**
   * Resolves once every tracked work has settled; then the state is
   * 'stopped' (unless it failed) and both streams complete, at the moment the
   * last work settles: at once when nothing is in flight, so virtual time
   * sees it. The Promise is the public edge (a handle's `stop()`).
   */
  stopped(): Promise<void> {
    if (this.settling) return this.settling;
    this.settling = new Promise<void>((resolve) => {
      this.inFlight.pipe(filter((n) => n === 0), take(1)).subscribe(() => {
        if (this.state !== 'failed') {
          this.errorSubject.complete();
          this.stateSubject.next('stopped');
          this.stateSubject.complete();
        }
        resolve();
      });
    });
    return this.settling;
  }
}

function typed(error: unknown): PipelineError {
  if (error instanceof TidalError || error instanceof WalError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TidalError('Failed', `replication pipeline failed: ${message}`, { cause: error });
}
