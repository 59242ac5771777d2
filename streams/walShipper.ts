/**
 * WalShipper: the leader side, composed from the operators and two reducers:
 *
 *   sealTicks (+ commits) ─▶ followerBookStep (gate) ─▶ sealedSegments ─▶ shipSegments (a cursor per follower) ─▶ transport
 *   followerSessions (join/leave) ─▶ followerBookStep        ▲
 *   transport.feedback() ─▶ gauge ─▶ cursors ─▶ book ────────┘   (in that order: a cursor rewinds before the gate seals)
 *   book.noted ─▶ applied$, retainFrom(retentionFloor)
 *   shipped$, feedback, ticks ─▶ ReplicationLagGauge (lagStep) ─▶ lag$, db.metrics
 *   sealTicks ─▶ status announcements to the book's followers ─▶ transport.sendStatus (bounded staleness)
 *
 * The leader's state about its followers is one value, the FollowerBook,
 * folded by `scan(followerBookStep)` and multicast through a BehaviorSubject
 * (the one place it lives); nothing else keeps a copy.
 */
import {
  asapScheduler, asyncScheduler, auditTime, BehaviorSubject, concat, defer, EMPTY, firstValueFrom, ignoreElements, filter, isObservable, map, merge, mergeMap,
  type Observable, of, type SchedulerLike, scan, share, shareReplay, Subject, type Subscription, take, takeUntil, tap, throwError, throwIfEmpty, timeout,
} from 'rxjs';
import { TidalError, type TidalDb } from '../src/index.js';
import { checkLeaderOptions } from './pipelineOptions.js';
import { PipelineLifecycle, type PipelineError, type PipelineState } from './pipelineLifecycle.js';
import { type FollowerSet, followerSessions } from './followerSessions.js';
import { errorCode } from './internal/errorCode.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, periodicCheckpoints } from './periodicCheckpoints.js';
import type { LagReport } from './lagStep.js';
import { ReplicationLagGauge } from './replicationLagGauge.js';
import { sealedSegments } from './sealedSegments.js';
import { sealTicks } from './sealTicks.js';
import { emptyFollowerBook, type FollowerBook, type FollowerBookEvent, followerBookStep, followersBehind, retentionFloor } from './followerBookStep.js';
import { type ShipEvent, type ShipFailure, shipSegments } from './shipSegments.js';
import type { FollowerFeedback, LeaderTransport, PeerId } from './transport.js';

export interface LeaderOptions {
  /** The leader database. */
  readonly db: TidalDb;
  /** The leader's end of the transport (InProcessTransport, `TcpTransport.listen`, WorkerTransport, …). */
  readonly transport: LeaderTransport;
  /** Follower peer ids, or a stream of the set as followers join and leave. */
  readonly followers: FollowerSet;
  /** Seal the active segment and announce status this often, in ms. Default 2000 (the seed's). */
  readonly shipIntervalMs?: number;
  /** See shipSegments. Default 5000 ms. */
  readonly retransmitAfterMs?: number;
  /** Checkpoint the leader this often (retention runs then), in ms; 0 turns it off. Default 60000. */
  readonly checkpointIntervalMs?: number;
  /** A follower silent this long, in ms, shows as 'disconnected' in lag$ and the metrics. Default 5000. */
  readonly disconnectedAfterMs?: number;
  /**
   * When to seal and ship: `'tick'` (default) every `shipIntervalMs`;
   * `'commit'` as soon as each write commits, with no timer to wait for (as
   * PostgreSQL streams WAL records), ticks still sealing what a commit left.
   * Either way sealing is ack-clocked (gateSeals): a seal waits while every
   * follower is still applying what it was sent, so a smaller interval or
   * sealing per commit never floods a follower.
   */
  readonly shipOn?: 'tick' | 'commit';
  readonly scheduler?: SchedulerLike;
}

/** What a follower reported applied. */
export interface FollowerAck {
  readonly peer: PeerId;
  readonly appliedSeq: number;
}

/**
 * 25 ms: the least time without an ack moving forward after which a follower
 * no longer paces sealing (gateSeals, followerBookStep): several ship-and-apply round trips
 * over loopback (about 1 to 2 ms each, fsync included), so a follower that
 * is applying is never mistaken for a stuck one; a lost segment is re-sent
 * after about this long plus a tick. The ship interval, when longer, is used.
 */
export const MIN_STALLED_AFTER_MS = 25;

/** The seed's `wal_ship_interval`. */
export const DEFAULT_SHIP_INTERVAL_MS = 2000;

export class WalShipper {
  private readonly shippedSubject = new Subject<ShipEvent>();
  private readonly appliedSubject = new Subject<FollowerAck>();
  private readonly rejectedSubject = new Subject<ShipFailure>();
  private readonly stopSubject = new Subject<void>();
  private readonly gauge: ReplicationLagGauge;
  private readonly ticks$: Observable<number>;
  private subscription: Subscription | null = null;
  private stopped = false;
  private readonly options: LeaderOptions;
  private readonly lifecycle = new PipelineLifecycle();
  /** Seals at once, between ticks (awaitInSync). */
  private readonly sealNow = new Subject<void>();
  /** Feedback from the followers in the set, for the gauge (fed first, see start()). */
  private readonly gaugeFeedback = new Subject<FollowerFeedback>();
  /** The book of followers: the latest FollowerBook, written only by the scan in start(). */
  private readonly book: BehaviorSubject<FollowerBook>;

  /** Each segment handed to a follower's transport buffer. */
  readonly shipped$ = this.shippedSubject.asObservable();
  /** Each follower ack. */
  readonly applied$ = this.appliedSubject.asObservable();
  /** Per-follower shipping failures (e.g. a segment unreadable on disk); shipping goes on, the state is 'degraded'. */
  readonly rejected$ = this.rejectedSubject.asObservable();
  /** 'starting', 'running' (after the first tick), 'degraded', 'failed' or 'stopped'; replays the latest. */
  readonly state$: Observable<PipelineState> = this.lifecycle.state$;
  /** Fatal errors only, typed (the log failed, the database was closed): then every stream completes. */
  readonly error$: Observable<PipelineError> = this.lifecycle.error$;
  /** Lag per follower, on every ack, ship and tick. Replays the latest. */
  readonly lag$: Observable<LagReport>;

  constructor(unchecked: LeaderOptions) {
    const options = checkLeaderOptions(unchecked);
    // One subscription to the caller's follower stream, shared by shipping, status and the gauge.
    const followers = isObservable(options.followers)
      ? options.followers.pipe(takeUntil(this.stopSubject), shareReplay({ bufferSize: 1, refCount: false }))
      : options.followers;
    this.options = { ...options, followers };
    const shipIntervalMs = options.shipIntervalMs ?? DEFAULT_SHIP_INTERVAL_MS;
    this.book = new BehaviorSubject(emptyFollowerBook(Math.max(shipIntervalMs, MIN_STALLED_AFTER_MS)));
    const scheduler = options.scheduler ?? asyncScheduler;
    this.ticks$ = sealTicks(shipIntervalMs, scheduler).pipe(share());
    this.gauge = new ReplicationLagGauge(options.db, {
      feedback$: this.gaugeFeedback, shipped$: this.shipped$, ticks$: this.ticks$, scheduler,
      forget$: followerSessions(followers).pipe(mergeMap((s) => s.left$.pipe(map(() => s.peer)))),
      join$: followerSessions(followers).pipe(map((s) => s.peer)),
      disconnectedAfterMs: options.disconnectedAfterMs,
    });
    this.lag$ = this.gauge.lag$;
  }

  /** Starts sealing, shipping, announcing and measuring. Idempotent. */
  start(): this {
    if (this.subscription || this.stopped) return this;
    const { db, transport, followers, scheduler } = this.options;
    const lifecycle = this.lifecycle;
    const clock = scheduler ?? asyncScheduler;
    this.gauge.start();
    // Feedback goes to the gauge, then to every follower's cursor (which may rewind and ship), then to the
    // book (whose gate may seal): one subscription, one fixed order, whoever subscribed first.
    const cursorFeedback = new Subject<FollowerFeedback>();
    const bookFeedback = new Subject<FollowerFeedback>();
    const feedback$ = transport.feedback().pipe(tap((f) => {
      if (this.book.value.followers.has(f.peer)) this.gaugeFeedback.next(f);
      cursorFeedback.next(f);
      bookFeedback.next(f);
    }), ignoreElements());
    // In 'commit' mode each burst of writes wakes the gate once it has been appended (asap: after the writer's synchronous code).
    const commits$ = this.options.shipOn === 'commit' ? db.applied$.pipe(auditTime(0, scheduler ?? asapScheduler)) : EMPTY;
    const stamp = () => ({ atMs: clock.now(), sealedThroughSeq: db.replication.sealedThroughSeq });
    const book$ = merge(
      followerSessions(followers).pipe(mergeMap(({ peer, left$ }) => concat(
        of<FollowerBookEvent>({ kind: 'join', peer }), left$.pipe(map((): FollowerBookEvent => ({ kind: 'leave', peer }))),
      ))),
      bookFeedback.pipe(map((feedback): FollowerBookEvent => ({ kind: 'feedback', feedback, ...stamp() }))),
      merge(this.ticks$, commits$).pipe(map((): FollowerBookEvent => ({ kind: 'wake', ...stamp() }))),
    ).pipe(
      scan(followerBookStep, this.book.value),
      share({ connector: () => this.book }), // the book lives in this.book; stop() unsubscribes the scan
    );
    // What a counted ack does: the replication slot moves, applied$ tells; before the gate's seal (subscribed first).
    const noted$ = book$.pipe(tap((book) => {
      if (book.noted === null) return;
      db.replication.retainFrom(retentionFloor(book));
      if (book.noted.kind === 'ack') this.appliedSubject.next({ peer: book.noted.peer, appliedSeq: book.noted.appliedSeq });
      else db.metrics.inc('replication.resendRequests');
    }), ignoreElements());
    const seals$ = book$.pipe(filter((b) => b.gate.seal));
    const sealed$ = sealedSegments(db, merge(seals$, this.sealNow), { track: (work$) => lifecycle.track(work$) }).pipe(share());
    const shipping$ = shipSegments({
      db, transport, followers, scheduler, wake$: sealed$, feedback$: cursorFeedback,
      retransmitAfterMs: this.options.retransmitAfterMs,
      onFailure: (f) => {
        db.metrics.inc(`replication.shipFailures.${errorCode(f.error)}`);
        lifecycle.degraded();
        this.rejectedSubject.next(f);
      },
    }).pipe(tap((e) => {
      db.metrics.inc(e.kind === 'checkpoint' ? 'replication.shippedCheckpoints' : 'replication.shippedSegments');
      db.metrics.inc('replication.shippedBytes', e.bytes);
      lifecycle.ok();
      this.shippedSubject.next(e);
    }));
    const status$ = this.ticks$.pipe(tap(() => {
      const status = { lastSeq: db.lastSeq, atMs: clock.now() };
      for (const peer of this.book.value.followers.keys()) transport.sendStatus(peer, status);
      lifecycle.started();
    }));
    const checkpointIntervalMs = this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    const checkpoints$ = checkpointIntervalMs > 0
      ? periodicCheckpoints(db, checkpointIntervalMs, {
        scheduler, track: (work$) => lifecycle.track(work$),
        onError: () => {
          db.metrics.inc('replication.checkpointFailures');
          lifecycle.degraded();
        },
      }).pipe(tap(() => lifecycle.ok()))
      : EMPTY;
    // Sealing runs on every tick whether or not a follower is connected (shipping subscribes per follower).
    const sealing$ = sealed$.pipe(ignoreElements());
    const closed$ = db.closed$.pipe(take(1), tap(() => {
      throw new TidalError('Closed', 'the leader database was closed under a running WalShipper: stop the shipper first');
    }));
    this.subscription = merge(noted$, sealing$, shipping$, status$, feedback$, checkpoints$, closed$).pipe(takeUntil(this.stopSubject)).subscribe({
      error: (err: unknown) => {
        lifecycle.fail(err);
        this.teardown();
      },
    });
    return this;
  }

  /**
   * Stops every timer and subscription and completes every stream at once;
   * resolves once what was in flight (a seal, a checkpoint) has settled and
   * the state is 'stopped'. Idempotent.
   */
  stop(): Promise<void> {
    this.teardown();
    return this.lifecycle.stopped();
  }

  /**
   * Resolves once every follower in the set has acked the leader's lastSeq
   * as of this call (sealing at once rather than at the next tick); rejects
   * with `Timeout` after `timeoutMs`, or `Closed` if the shipper stops first.
   */
  awaitInSync(options: { timeoutMs: number; scheduler?: SchedulerLike }): Promise<void> {
    return firstValueFrom(defer(() => {
      const { timeoutMs } = options ?? {};
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
        return throwError(() => new TidalError('InvalidInput', `awaitInSync: timeoutMs must be a number of ms >= 0, got ${String(timeoutMs)}`));
      }
      const target = this.options.db.lastSeq;
      this.sealNow.next();
      return this.book.pipe(
        filter((book) => followersBehind(book, target).length === 0),
        take(1),
        map(() => undefined),
        throwIfEmpty(() => new TidalError('Closed', `awaitInSync: the shipper stopped before every follower acked seqno ${target}`)),
        timeout({
          first: timeoutMs, scheduler: options.scheduler ?? this.options.scheduler ?? asyncScheduler,
          with: () => throwError(() => new TidalError('Timeout', `awaitInSync: followers ${followersBehind(this.book.value, target).join(', ')} had not acked seqno ${target} within ${timeoutMs} ms`)),
        }),
      );
    }));
  }

  private teardown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopSubject.next();
    this.stopSubject.complete();
    this.subscription?.unsubscribe();
    this.gauge.stop();
    this.shippedSubject.complete();
    this.appliedSubject.complete();
    this.rejectedSubject.complete();
    this.gaugeFeedback.complete();
    this.book.complete();
    this.sealNow.complete();
  }
}

/** Handle of a running leader. */
export type LeaderHandle = WalShipper;

/**
 * Starts shipping a leader's WAL to its followers.
 *
 * @example
 * const leader = startLeader({ db, transport, followers: ['f1', 'f2'], shipIntervalMs: 100 });
 * leader.lag$.subscribe((lag) => console.log(lag.f1?.events));
 * // …
 * leader.stop();
 */
export function startLeader(options: LeaderOptions): LeaderHandle {
  return new WalShipper(options).start();
}
