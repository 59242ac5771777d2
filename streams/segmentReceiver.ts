/**
 * SegmentReceiver: the follower side, composed from the operators:
 *
 *   transport.receive$(peer) ─▶ validateChecksum ─▶ idempotentReplay ─▶ ack / resend request
 *        (one at a time: the next segment is taken only once this one is applied — backpressure)
 *   heartbeat (feedbackIntervalMs) ─▶ ack, or a resend request while a gap stands
 *   transport.status(peer) ─▶ db.noteLeaderStatus (bounded staleness)
 */
import {
  asyncScheduler, BehaviorSubject, EMPTY, merge, mergeMap, type Observable, of, type SchedulerLike, Subject,
  type Subscription, take, tap, timer,
} from 'rxjs';
import { type ApplyResult, TidalError, type TidalDb } from '../src/index.js';
import { checkFollowerOptions } from './pipelineOptions.js';
import { PipelineLifecycle, type PipelineError, type PipelineState } from './pipelineLifecycle.js';
import { idempotentReplay, type ReplayOutcome } from './idempotentReplay.js';
import { type CheckpointOutcome, installCheckpoint$ } from './installCheckpoint.js';
import { isCheckpoint } from './shipment.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, periodicCheckpoints } from './periodicCheckpoints.js';
import { errorCode } from './internal/errorCode.js';
import { loopPasses } from './internal/loopPasses.js';
import type { FollowerTransport, PeerId } from './transport.js';
import { rejection, type SegmentRejection, validateChecksum } from './validateChecksum.js';

export interface FollowerOptions {
  /** The follower database (role 'follower'). */
  readonly db: TidalDb;
  /** This follower's end of the transport (InProcessTransport, `TcpTransport.connect`, WorkerTransportFollower, …). */
  readonly transport: FollowerTransport;
  /** This follower's peer id on the transport. */
  readonly peer: PeerId;
  /** Heartbeat: re-send the ack (or a pending resend request) this often, in ms. Default 1000. */
  readonly feedbackIntervalMs?: number;
  /** Checkpoint the follower this often, in ms, so a restart replays little; 0 turns it off. Default 60000. */
  readonly checkpointIntervalMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** The follower's own view of its lag. */
export interface FollowerLagView {
  readonly appliedSeq: number;
  /** The leader seqno last announced. */
  readonly leaderSeq: number;
  /** leaderSeq - appliedSeq, in events. */
  readonly events: number;
  /** How far behind the leader this follower may be, in ms (Infinity before it first caught up). */
  readonly stalenessMs: number;
}

/** 1 s: PostgreSQL's wal_receiver_status_interval is 10 s; in-process we can afford faster repair. */
export const DEFAULT_FEEDBACK_INTERVAL_MS = 1000;

export class SegmentReceiver {
  private readonly appliedSubject = new Subject<ApplyResult>();
  private readonly rejectedSubject = new Subject<SegmentRejection>();
  private readonly lagSubject: BehaviorSubject<FollowerLagView>;
  private subscription: Subscription | null = null;
  private stopped = false;
  private receivedSeq = 0;
  /** The high-water mark at which a gap or corruption was seen; null when none stands. */
  private resendNeededAt: number | null = null;
  private lastResend = { appliedSeq: -1, atMs: -Infinity };

  /** Each segment that applied new events. */
  readonly applied$ = this.appliedSubject.asObservable();
  private readonly lifecycle = new PipelineLifecycle();
  /** Each shipment not applied: corrupt, a gap, or a failed apply. Replay goes on; the state is 'degraded' until one applies. */
  readonly rejected$ = this.rejectedSubject.asObservable();
  /** 'starting', 'running' (after the first heartbeat), 'degraded', 'failed' or 'stopped'; replays the latest. */
  readonly state$: Observable<PipelineState> = this.lifecycle.state$;
  /** Fatal errors only, typed (the database was closed, its storage failed): then every stream completes. */
  readonly error$: Observable<PipelineError> = this.lifecycle.error$;
  /** The follower's own lag view, on each apply and status. Replays the latest. */
  readonly lag$: Observable<FollowerLagView>;

  private readonly options: FollowerOptions;

  constructor(options: FollowerOptions) {
    this.options = checkFollowerOptions(options);
    this.lagSubject = new BehaviorSubject(this.lagView());
    this.lag$ = this.lagSubject.asObservable();
  }

  start(): this {
    if (this.subscription || this.stopped) return this;
    const { db, transport, peer } = this.options;
    const scheduler = this.options.scheduler ?? asyncScheduler;
    const intervalMs = this.options.feedbackIntervalMs ?? DEFAULT_FEEDBACK_INTERVAL_MS;
    const invalid = { next: (r: SegmentRejection) => this.reject(r) };
    // receivedSeq counts only what passed validation: a corrupt segment's claims are not believed.
    const received = (seq: number) => (this.receivedSeq = Math.max(this.receivedSeq, seq));
    const replay$ = loopPasses(() => transport.receive$(peer).pipe(
      mergeMap((s) => (isCheckpoint(s)
        ? installCheckpoint$(db, s).pipe(tap((outcome) => {
          if (outcome.kind !== 'failed') received(outcome.seq);
          this.onCheckpoint(outcome);
        }))
        : of(s).pipe(
          validateChecksum(invalid),
          tap((v) => received(v.payload.lastSeq)),
          idempotentReplay(db),
          tap((outcome) => this.onOutcome(outcome)),
        ))),
    ), true);
    const lifecycle = this.lifecycle;
    const heartbeat$ = timer(0, intervalMs, scheduler).pipe(tap(() => {
      this.heartbeat();
      lifecycle.started();
    }));
    const status$ = transport.status(peer).pipe(tap((s) => {
      db.noteLeaderStatus(s);
      this.lagSubject.next(this.lagView());
    }));
    const checkpointIntervalMs = this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    const checkpoints$ = checkpointIntervalMs > 0
      ? periodicCheckpoints(db, checkpointIntervalMs, {
        scheduler, track: (work$) => lifecycle.track(work$),
        onError: () => {
          db.metrics.inc('replication.checkpointFailures');
          lifecycle.degraded();
        },
      })
      : EMPTY;
    const closed$ = db.closed$.pipe(take(1), tap(() => {
      throw new TidalError('Closed', 'the follower database was closed under a running SegmentReceiver: stop the receiver first');
    }));
    this.subscription = merge(replay$, heartbeat$, status$, checkpoints$, closed$).subscribe({
      error: (error: unknown) => {
        lifecycle.fail(error);
        this.teardown();
      },
    });
    return this;
  }

  /**
   * Stops receiving, heartbeats and status and completes every stream at
   * once; resolves once what was in flight (a checkpoint) has settled and
   * the state is 'stopped'. Idempotent.
   */
  stop(): Promise<void> {
    this.teardown();
    return this.lifecycle.stopped();
  }

  private teardown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.subscription?.unsubscribe();
    this.appliedSubject.complete();
    this.rejectedSubject.complete();
    this.lagSubject.complete();
  }

  private onOutcome(outcome: ReplayOutcome): void {
    if (outcome.kind === 'applied' || outcome.kind === 'skipped') {
      if (outcome.kind === 'applied') {
        this.resendNeededAt = null;
        this.lifecycle.ok();
        this.appliedSubject.next(outcome.result);
      }
      this.sendFeedback('ack');
      this.lagSubject.next(this.lagView());
      return;
    }
    this.reject(rejection(outcome.segment.payload, outcome.error));
  }

  private onCheckpoint(outcome: CheckpointOutcome): void {
    if (outcome.kind === 'failed') {
      this.reject({ kind: 'checkpoint', segmentId: null, firstSeq: 1, lastSeq: outcome.seq, error: outcome.error });
      return;
    }
    if (outcome.kind === 'installed') {
      this.resendNeededAt = null;
      this.lifecycle.ok();
    }
    this.sendFeedback('ack');
    this.lagSubject.next(this.lagView());
  }

  private reject(r: SegmentRejection): void {
    this.options.db.metrics.inc(`replication.rejections.${errorCode(r.error)}`);
    this.lifecycle.degraded();
    this.rejectedSubject.next(r);
    this.resendNeededAt = this.options.db.lastSeq;
    this.requestResend();
  }

  /** Asks for a re-send after the high-water mark, at most once per mark per heartbeat interval. */
  private requestResend(): void {
    const { db } = this.options;
    const now = (this.options.scheduler ?? asyncScheduler).now();
    const intervalMs = this.options.feedbackIntervalMs ?? DEFAULT_FEEDBACK_INTERVAL_MS;
    if (this.lastResend.appliedSeq === db.lastSeq && now - this.lastResend.atMs < intervalMs) return;
    this.lastResend = { appliedSeq: db.lastSeq, atMs: now };
    this.sendFeedback('resend');
  }

  private heartbeat(): void {
    if (this.resendNeededAt !== null && this.resendNeededAt === this.options.db.lastSeq) this.requestResend();
    else this.sendFeedback('ack');
  }

  private sendFeedback(kind: 'ack' | 'resend'): void {
    const { db, transport, peer } = this.options;
    if (db.isClosed()) return;
    transport.sendFeedback({
      peer, kind, appliedSeq: db.lastSeq, receivedSeq: Math.max(this.receivedSeq, db.lastSeq),
      atMs: (this.options.scheduler ?? asyncScheduler).now(),
    });
  }

  private lagView(): FollowerLagView {
    const { db } = this.options;
    const leaderSeq = Math.max(db.knownLeaderSeq, db.lastSeq);
    return { appliedSeq: db.lastSeq, leaderSeq, events: leaderSeq - db.lastSeq, stalenessMs: db.stalenessMs() };
  }
}

/** Handle of a running follower. */
export type FollowerHandle = SegmentReceiver;

/**
 * Starts replaying segments shipped to `peer` into a follower database.
 *
 * @example
 * const replica = await FollowerDb.open();
 * const follower = startFollower({ db: replica, transport, peer: 'f1' });
 * await replica.waitFor(seqnoWrittenOnLeader, { timeoutMs: 5000 });
 * follower.stop();
 */
export function startFollower(options: FollowerOptions): FollowerHandle {
  return new SegmentReceiver(options).start();
}
