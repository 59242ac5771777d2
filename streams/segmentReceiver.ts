/**
 * SegmentReceiver: the follower side, composed from the operators:
 *
 *   transport.receive$(peer) ─▶ validateChecksum ─▶ idempotentReplay ──┐   (a checkpoint: installCheckpoint$)
 *                                    └─ received (contiguous) ───────────┤   (an ack at once: the received mark moved)
 *        (one at a time: the next segment is taken only once this one is applied — backpressure)
 *   heartbeat (feedbackIntervalMs) ─────────────────────────────────────┴─▶ receiverFeedbackStep ─▶ ack / resend request
 *   transport.status(peer) ─▶ db.replication.noteLeaderStatus (bounded staleness)
 *
 * Every outcome and heartbeat goes through one `scan` of the pure reducer
 * receiverFeedbackStep, which decides what to tell the leader; the handle
 * only reports (applied$, rejected$, lag$, state$) and sends what it decided.
 */
import {
  BehaviorSubject, map, merge, mergeMap, type Observable, of, scan, Subject,
  type Subscription, take, tap, timer,
} from 'rxjs';
import { DEFAULT_FEEDBACK_INTERVAL_MS, DEFAULT_SCHEDULER } from './defaults.js';
import { type ApplyResult, TidalError, WalError } from '../src/index.js';
import { checkFollowerOptions } from './pipelineOptions.js';
import type { FollowerOptions } from './segmentReceiverOptions.js';
import { PipelineLifecycle, type PipelineError, type PipelineState } from './pipelineLifecycle.js';
import { idempotentReplay, type ReplayOutcome } from './idempotentReplay.js';
import { type CheckpointOutcome, installCheckpoint$ } from './installCheckpoint.js';
import { isCheckpoint } from './shipment.js';
import { pipelineCheckpoints } from './pipelineCheckpoints.js';
import { errorCode } from './internal/errorCode.js';
import { loopPasses } from './internal/loopPasses.js';
import { rejection, type SegmentRejection, validateChecksum, type VerifiedSegment } from './validateChecksum.js';
import { emptyReceiverFeedback, type ReceiverEvent, type ReceiverFeedback, receiverFeedbackStep } from './receiverFeedbackStep.js';

export type { FollowerOptions } from './segmentReceiverOptions.js';

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

export { DEFAULT_FEEDBACK_INTERVAL_MS } from './defaults.js';

/** What happened at the receiver: the feedback reducer's input, with what the handle reports of it. */
type Happened =
  /** A shipment passed validation and continues the applied mark: received, about to be applied. */
  | { readonly kind: 'received'; readonly receivedSeq: number }
  /** A shipment applied (`result` for a segment that applied events) or already held. */
  | { readonly kind: 'applied'; readonly progressed: boolean; readonly receivedSeq: number; readonly result: ApplyResult | null }
  | { readonly kind: 'rejected'; readonly receivedSeq: number; readonly rejection: SegmentRejection }
  | { readonly kind: 'heartbeat' };

/** The receiver's feedback state after `happened`. */
interface Decided {
  readonly happened: Happened | null;
  readonly feedback: ReceiverFeedback;
}

/**
 * The follower's replication pipeline (the seed's `SegmentReceiver`): takes
 * shipments one at a time, validates each checksum, replays idempotently,
 * acks, heartbeats and checkpoints. `startFollower(options)` makes one and
 * starts it.
 */
export class SegmentReceiver {
  private readonly appliedSubject = new Subject<ApplyResult>();
  private readonly rejectedSubject = new Subject<SegmentRejection>();
  private readonly lagSubject: BehaviorSubject<FollowerLagView>;
  private subscription: Subscription | null = null;
  private stopped = false;

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

  /** Starts receiving, replaying, acking and checkpointing. Idempotent. */
  start(): this {
    if (this.subscription || this.stopped) return this;
    const { db, transport, peer } = this.options;
    const replica = db.replication;
    const scheduler = this.options.scheduler ?? DEFAULT_SCHEDULER;
    const intervalMs = this.options.feedbackIntervalMs ?? DEFAULT_FEEDBACK_INTERVAL_MS;
    // Shipments validateChecksum refused or passed (received), in arrival order with every other outcome (a corrupt one's claims are not believed).
    const checked = new Subject<Happened>();
    const invalid = { next: (rejection: SegmentRejection) => checked.next({ kind: 'rejected', receivedSeq: 0, rejection }) };
    // A validated segment that continues the applied mark is received: the reducer acks at once if the mark moved.
    const noteReceived = (v: VerifiedSegment) => {
      if (v.payload.firstSeq <= replica.lastSeq + 1) checked.next({ kind: 'received', receivedSeq: v.payload.lastSeq });
    };
    const replay$ = loopPasses(() => transport.receive$(peer).pipe(
      mergeMap((s) => (isCheckpoint(s)
        ? installCheckpoint$(db, s).pipe(map(checkpointHappened))
        : of(s).pipe(validateChecksum(invalid), tap(noteReceived), idempotentReplay(db), map(replayHappened)))),
    ), true);
    const heartbeat$ = timer(0, intervalMs, scheduler).pipe(map((): Happened => ({ kind: 'heartbeat' })));
    // The one place the receiver's feedback state lives: a scan of the pure reducer over every outcome and heartbeat.
    const feedback$ = merge(checked, replay$, heartbeat$).pipe(
      scan((before: Decided, happened: Happened): Decided => ({
        happened, feedback: receiverFeedbackStep(before.feedback, eventOf(happened, replica.lastSeq, scheduler.now())),
      }), { happened: null, feedback: emptyReceiverFeedback(intervalMs) }),
      tap(({ happened, feedback }) => happened && this.report(happened, feedback)),
    );
    const status$ = transport.status(peer).pipe(tap((s) => {
      replica.noteLeaderStatus(s);
      this.lagSubject.next(this.lagView());
    }));
    const lifecycle = this.lifecycle;
    const checkpoints$ = pipelineCheckpoints(db, this.options.checkpointIntervalMs, lifecycle, scheduler);
    const closed$ = db.closed$.pipe(take(1), tap(() => {
      throw new TidalError('Closed', 'the follower database was closed under a running SegmentReceiver: stop the receiver first');
    }));
    this.subscription = merge(feedback$, status$, checkpoints$, closed$).subscribe({
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

  /** What the handle reports of what happened, and the feedback the reducer decided on. */
  private report(happened: Happened, feedback: ReceiverFeedback): void {
    const { db, transport, peer } = this.options;
    if (happened.kind === 'rejected') {
      db.metrics.inc(`replication.rejections.${errorCode(happened.rejection.error)}`);
      this.lifecycle.degraded();
      this.rejectedSubject.next(happened.rejection);
    } else if (happened.kind === 'applied' && happened.progressed) {
      this.lifecycle.ok();
      if (happened.result) this.appliedSubject.next(happened.result);
    }
    if (feedback.send && !db.replication.isClosed()) transport.sendFeedback({ peer, ...feedback.send });
    if (happened.kind === 'applied') this.lagSubject.next(this.lagView());
    if (happened.kind === 'heartbeat') this.lifecycle.started();
  }

  private lagView(): FollowerLagView {
    const replica = this.options.db.replication;
    const leaderSeq = Math.max(replica.knownLeaderSeq, replica.lastSeq);
    return { appliedSeq: replica.lastSeq, leaderSeq, events: leaderSeq - replica.lastSeq, stalenessMs: replica.stalenessMs() };
  }
}

/** A replayed segment's outcome, as the receiver counts it: what passed validation counts as received. */
function replayHappened(outcome: ReplayOutcome): Happened {
  const receivedSeq = outcome.segment.payload.lastSeq;
  if (outcome.kind === 'applied' || outcome.kind === 'skipped') {
    return { kind: 'applied', progressed: outcome.kind === 'applied', receivedSeq, result: outcome.kind === 'applied' ? outcome.result : null };
  }
  // The marks are cumulative: a segment past a gap is not received up to its end (a quorum at 'received' must not count it).
  const gap = outcome.error instanceof WalError && outcome.error.code === 'Gap';
  return { kind: 'rejected', receivedSeq: gap ? 0 : receivedSeq, rejection: rejection(outcome.segment.payload, outcome.error) };
}

/** An installed checkpoint's outcome: a failed one is not believed. */
function checkpointHappened(outcome: CheckpointOutcome): Happened {
  if (outcome.kind === 'failed') {
    return { kind: 'rejected', receivedSeq: 0, rejection: { kind: 'checkpoint', segmentId: null, firstSeq: 1, lastSeq: outcome.seq, error: outcome.error } };
  }
  return { kind: 'applied', progressed: outcome.kind === 'installed', receivedSeq: outcome.seq, result: null };
}

/** The reducer's event for what happened, with the applied mark and the time now. */
function eventOf(happened: Happened, appliedSeq: number, atMs: number): ReceiverEvent {
  return happened.kind === 'heartbeat' ? { kind: 'heartbeat', appliedSeq, atMs } : { ...happened, appliedSeq, atMs };
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
