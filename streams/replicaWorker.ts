/**
 * A read replica on another core: a FollowerDb in a worker_thread, fed by
 * the leader's pipeline over a WorkerTransport, serving reads as Promises.
 *
 *   main thread                                         worker thread
 *   startLeader(workers) ── MessagePort ──▶ startFollower(FollowerDb)
 *   ReplicaWorker.retrieve(q) ────────── control ─────▶ db.retrieve(q) ─┐
 *              ◀──────────────────────── answer ◀─────────────────────┘
 *   state$, lag$, error$ ◀────────────── lifecycle ◀─── follower.state$, lag$, error$
 *
 * N workers let N cores serve reads while the main thread ingests.
 *
 * - `state$`: the worker's follower pipeline ('starting', 'running',
 *   'degraded'), then 'stopped' once stop() settled, or 'failed' when the
 *   worker died (threw, exited, was terminated) or its pipeline failed;
 *   `error$` then carries the typed error. Either way the thread is gone,
 *   and every waiting read is rejected.
 * - A failed worker is detached from the leader's transport (its sends fail
 *   with the same error, which the leader reports on `rejected$`) but stays
 *   in `followers$`, so the leader keeps what it needs; `restart()` starts a
 *   new worker with the same options, which resumes from its own mark (with
 *   a `dir`: the lock the dead thread held is released first).
 *
 * Started by startReplicaWorker (startReplicaWorker.ts, with an example); the thread itself is
 * spawned by replicaWorkerThread.ts.
 */
import type { Worker } from 'node:worker_threads';
import { BehaviorSubject, distinctUntilChanged, type Observable, Subject } from 'rxjs';
import { type RetrieveQuery, type Scored, type SearchQuery, TidalError } from '../src/index.js';
import type { PipelineError, PipelineState } from './pipelineLifecycle.js';
import { releaseAbandonedLock } from './replicaWorkerLock.js';
import { decodeError, type FromReplica, type ReplicaOp, type ToReplica } from './replicaWorkerMessages.js';
import { type ReplicaWorkerOptions, type ResolvedReplicaWorkerOptions, resolveReplicaWorkerOptions } from './replicaWorkerOptions.js';
import { ReplicaRequests } from './replicaWorkerRequests.js';
import { spawnReplicaThread } from './replicaWorkerThread.js';
import type { FollowerLagView } from './segmentReceiver.js';
import type { WorkerAttachment } from './transports/workerTransport.js';

const DEFAULT_WORKER_URL = new URL('./replicaWorkerMain.js', import.meta.url);

/**
 * A FollowerDb running in a worker thread, fed by the leader through a {@link WorkerTransport};
 * made by {@link startReplicaWorker}. Reads return Promises and errors come back typed.
 */
export class ReplicaWorker {
  private readonly stateSubject = new BehaviorSubject<PipelineState>('starting');
  private readonly errorSubject = new Subject<PipelineError>();
  private readonly lagSubject = new BehaviorSubject<FollowerLagView>({ appliedSeq: 0, leaderSeq: 0, events: 0, stalenessMs: Infinity });
  private readonly requests: ReplicaRequests;
  private readonly who: string;
  /** What the worker said went wrong, before it exited. */
  private reported: PipelineError | null = null;
  private phase: 'starting' | 'ready' | 'stopping' | 'ended' = 'starting';
  private cleanStop = false;
  private stopping: Promise<void> | null = null;
  private readonly exited: Promise<void>;
  private readonly ready: Promise<void>;

  /** The worker's follower pipeline state, replayed; 'stopped' or 'failed' last, then it completes. */
  readonly state$: Observable<PipelineState> = this.stateSubject.pipe(distinctUntilChanged());
  /** Fatal errors only, typed: the worker died or its pipeline failed. Completes with state$. */
  readonly error$: Observable<PipelineError> = this.errorSubject.asObservable();
  /** The replica's own lag view (applied, leader's seqno, events behind, staleness), replayed. */
  readonly lag$: Observable<FollowerLagView> = this.lagSubject.asObservable();

  private constructor(
    private readonly options: ResolvedReplicaWorkerOptions,
    private readonly worker: Worker,
    private readonly attachment: WorkerAttachment,
    private readonly closePort: () => void,
  ) {
    this.who = `replica worker ${JSON.stringify(options.peer)} (thread ${worker.threadId})`;
    this.requests = new ReplicaRequests(options.maxInFlightRequests, this.who);
    let resolveReady!: () => void;
    let rejectReady!: (err: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => ([resolveReady, rejectReady] = [resolve, reject]));
    worker.on('message', (m: FromReplica) => this.onMessage(m, resolveReady));
    worker.on('error', (err: Error) => {
      this.reported ??= new TidalError('Failed', `${this.who} threw: ${err.message}`, { cause: err });
    });
    this.exited = new Promise<void>((resolve) => worker.once('exit', (code: number) => {
      void this.onExit(code, rejectReady).then(resolve);
    }));
  }

  /** Starts a worker; see startReplicaWorker. */
  static async start(options: ReplicaWorkerOptions): Promise<ReplicaWorker> {
    const resolved = resolveReplicaWorkerOptions(options, DEFAULT_WORKER_URL);
    const { worker, attachment, closePort } = spawnReplicaThread(resolved);
    const handle = new ReplicaWorker(resolved, worker, attachment, closePort);
    const timer = setTimeout(() => {
      handle.reported ??= new TidalError('Timeout', `${handle.who} did not open its database within ${resolved.startTimeoutMs} ms`);
      void worker.terminate();
    }, resolved.startTimeoutMs);
    try {
      await handle.ready;
    } finally {
      clearTimeout(timer);
    }
    return handle;
  }

  get peer(): string {
    return this.options.peer;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  /** `db.retrieve(query)` on the replica. */
  retrieve(query: RetrieveQuery): Promise<Scored[]> {
    return this.request('retrieve', [query]);
  }

  /** `db.search(query)` on the replica. */
  search(query: SearchQuery): Promise<Scored[]> {
    return this.request('search', [query]);
  }

  /** `db.readDecayScore(itemId, type, at)` on the replica. */
  readDecayScore(itemId: string, type: string, at?: number): Promise<number> {
    return this.request('readDecayScore', [itemId, type, at]);
  }

  /** Resolves once `seq` is applied on the replica; rejects with `Timeout` after `timeoutMs`, or `Closed`. Holds a request slot while it waits. */
  waitFor(seq: number, options: { timeoutMs: number }): Promise<number> {
    return this.request('waitFor', [seq, options === undefined || options === null ? options : { timeoutMs: options.timeoutMs }]);
  }

  /**
   * Stops the worker: its pipeline stops, its database closes (a checkpoint,
   * with a dir), the thread exits, and the peer leaves the leader's
   * followers$. Resolves once the thread is gone (terminated after
   * `stopTimeoutMs` if it does not close). Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.phase !== 'ended') {
        this.phase = 'stopping';
        this.worker.postMessage({ t: 'stop' } satisfies ToReplica);
        const timer = setTimeout(() => void this.worker.terminate(), this.options.stopTimeoutMs);
        await this.exited;
        clearTimeout(timer);
      }
      this.attachment.leave();
    })();
    return this.stopping;
  }

  /** A new worker with the same options (stopping this one first if it still runs); with a dir, it resumes from its own mark. */
  async restart(): Promise<ReplicaWorker> {
    if (this.phase !== 'ended') await this.stop();
    return ReplicaWorker.start(this.options);
  }

  private request<T>(op: ReplicaOp, args: readonly unknown[]): Promise<T> {
    if (this.phase === 'stopping' || this.phase === 'ended') return Promise.reject(this.ended());
    return this.requests.open<T>((id) => {
      try {
        this.worker.postMessage({ t: 'req', id, op, args } satisfies ToReplica);
      } catch (err) {
        throw new TidalError('InvalidInput', `${op}: its arguments cannot be sent to the replica worker: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  private ended(): PipelineError {
    return this.reported ?? new TidalError('Closed', `${this.who} is stopped`);
  }

  private onMessage(m: FromReplica, resolveReady: () => void): void {
    switch (m.t) {
      case 'res':
        this.requests.settle(m.id, m.error ? { ok: false, error: decodeError(m.error, this.who) } : { ok: true, value: m.value });
        return;
      case 'lag':
        this.lagSubject.next(m.lag);
        return;
      case 'state':
        if (this.phase !== 'ended' && m.state !== 'stopped' && m.state !== 'failed') this.stateSubject.next(m.state);
        return;
      case 'ready':
        this.lagSubject.next(m.lag);
        if (this.phase === 'starting') this.phase = 'ready';
        resolveReady();
        return;
      case 'failed':
        this.reported ??= decodeError(m.error, this.who);
        return;
      case 'stopped':
        this.cleanStop = true;
    }
  }

  /** The thread is gone: settle everything it leaves behind. */
  private async onExit(code: number, rejectReady: (err: unknown) => void): Promise<void> {
    const wasReady = this.phase === 'ready' || this.phase === 'stopping';
    const stopped = this.cleanStop && this.phase === 'stopping';
    this.phase = 'ended';
    this.closePort();
    if (stopped) {
      this.requests.rejectAll(this.ended());
      this.stateSubject.next('stopped');
      return this.complete();
    }
    const error = this.reported ??= new TidalError('Failed', `${this.who} exited with code ${code}`);
    if (!wasReady) this.attachment.leave(); // it never became a follower
    else this.attachment.detach(error);
    this.requests.rejectAll(error);
    rejectReady(error);
    if (wasReady && !this.cleanStop && this.options.db.dir !== undefined) await releaseAbandonedLock(this.options.db.dir).catch(() => false);
    this.errorSubject.next(error);
    this.stateSubject.next('failed');
    this.complete();
  }

  private complete(): void {
    this.errorSubject.complete();
    this.stateSubject.complete();
    this.lagSubject.complete();
  }
}
