/**
 * The visible state of a running pipeline (a leader's WalShipper, a
 * follower's SegmentReceiver), in the spirit of RxDB's replication state:
 * a `state$` BehaviorSubject and an `error$` of fatal errors only, both
 * owned here, plus the promises in flight that `stop()` waits for.
 *
 *   state$ :  starting--running--degraded--running--stopped|
 *                       (first    (a per-     (next     (stop() settled)
 *                        pass)     segment     success)
 *                                  failure)
 *   or     :  starting--running--------failed|   with error$: ----E|
 */
import { BehaviorSubject, type Observable, Subject } from 'rxjs';
import { TidalError, WalError } from '../src/index.js';

/** Where a pipeline stands. */
export type PipelineState = 'starting' | 'running' | 'degraded' | 'failed' | 'stopped';

/** A fatal pipeline error: always typed. */
export type PipelineError = TidalError | WalError;

export class PipelineLifecycle {
  private readonly stateSubject = new BehaviorSubject<PipelineState>('starting');
  private readonly errorSubject = new Subject<PipelineError>();
  private readonly pending = new Set<Promise<unknown>>();
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

  /** Counts `promise` as in flight until it settles: `stop()` waits for it. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const done = () => void this.pending.delete(promise);
    promise.then(done, done);
    return promise;
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
   * Resolves once every tracked promise has settled; then the state is
   * 'stopped' (unless it failed) and both streams complete. Synchronous
   * (so virtual time sees it at once) when nothing is in flight.
   */
  stopped(): Promise<void> {
    if (this.settling) return this.settling;
    const finish = () => {
      if (this.state !== 'failed') {
        this.errorSubject.complete();
        this.stateSubject.next('stopped');
        this.stateSubject.complete();
      }
    };
    if (this.pending.size === 0) {
      finish();
      this.settling = Promise.resolve();
    } else {
      this.settling = Promise.allSettled([...this.pending]).then(finish);
    }
    return this.settling;
  }
}

function typed(error: unknown): PipelineError {
  if (error instanceof TidalError || error instanceof WalError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TidalError('Failed', `replication pipeline failed: ${message}`, { cause: error });
}
