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
 * On a follower database (startRelay, docs/cascading.md) the same pipeline
 * relays: seals find nothing, the segments it stores wake the shipping, and
 * the announcements pass on the origin leader's position.
 *
 * The leader's state about its followers is one value, the FollowerBook,
 * folded by `scan(followerBookStep)` and multicast through a BehaviorSubject
 * (the one place it lives); nothing else keeps a copy.
 */
import {
  asapScheduler, auditTime, BehaviorSubject, concat, EMPTY, firstValueFrom, ignoreElements, filter, isObservable, map, merge, mergeMap,
  type Observable, of, type SchedulerLike, scan, share, shareReplay, Subject, type Subscription, take, takeUntil, tap,
} from 'rxjs';
import { DEFAULT_SCHEDULER } from './defaults.js';
import { TidalError } from '../src/index.js';
import { checkLeaderOptions } from './pipelineOptions.js';
import { PipelineLifecycle, type PipelineError, type PipelineState } from './pipelineLifecycle.js';
import { followerSessions } from './followerSessions.js';
import { errorCode } from './internal/errorCode.js';
import { pipelineCheckpoints } from './pipelineCheckpoints.js';
import type { LagReport } from './lagStep.js';
import { ReplicationLagGauge } from './replicationLagGauge.js';
import { sealedSegments } from './sealedSegments.js';
import { sealTicks } from './sealTicks.js';
import { emptyFollowerBook, type FollowerBook, type FollowerBookEvent, followerBookStep, retentionFloor } from './followerBookStep.js';
import { type ShipEvent, type ShipFailure, shipSegments } from './shipSegments.js';
import type { FollowerFeedback } from './transport.js';
import { DEFAULT_SHIP_INTERVAL_MS, type FollowerAck, type LeaderOptions, MIN_STALLED_AFTER_MS } from './walShipperOptions.js';
import { type QuorumAck, waitForFollowers$, type WaitForFollowersOptions } from './waitForFollowers.js';
import { awaitInSync$ } from './awaitInSync.js';
import { relayStatuses } from './relayStatuses.js';

export { DEFAULT_SHIP_INTERVAL_MS, type FollowerAck, type LeaderOptions, MIN_STALLED_AFTER_MS } from './walShipperOptions.js';

/**
 * The leader's replication pipeline (the seed's `WalShipper`): seals on
 * ticks (or commits), ships every sealed segment to each follower in the
 * set, tracks their acks and lag, announces the leader's position and
 * checkpoints. `startLeader(options)` makes one and starts it.
 */
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

  /** @param check the option check: startLeader's, or startRelay's (relayOptions.ts: a follower db) */
  constructor(unchecked: LeaderOptions, check: (options: unknown) => LeaderOptions = checkLeaderOptions) {
    const options = check(unchecked);
    // One subscription to the caller's follower stream, shared by shipping, status and the gauge.
    const followers = isObservable(options.followers)
      ? options.followers.pipe(takeUntil(this.stopSubject), shareReplay({ bufferSize: 1, refCount: false }))
      : options.followers;
    this.options = { ...options, followers };
    const shipIntervalMs = options.shipIntervalMs ?? DEFAULT_SHIP_INTERVAL_MS;
    this.book = new BehaviorSubject(emptyFollowerBook(Math.max(shipIntervalMs, MIN_STALLED_AFTER_MS)));
    const scheduler = options.scheduler ?? DEFAULT_SCHEDULER;
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
    const { db } = this.options;
    this.gauge.start();
    // Feedback goes to the gauge, then to every follower's cursor (which may rewind and ship), then to the
    // book (whose gate may seal): one subscription, one fixed order, whoever subscribed first.
    const cursorFeedback = new Subject<FollowerFeedback>();
    const bookFeedback = new Subject<FollowerFeedback>();
    const feedback$ = this.options.transport.feedback().pipe(tap((f) => {
      if (this.book.value.followers.has(f.peer)) this.gaugeFeedback.next(f);
      cursorFeedback.next(f);
      bookFeedback.next(f);
    }), ignoreElements());
    const book$ = this.book$(bookFeedback);
    // What a counted ack does: the replication slot moves, applied$ tells; before the gate's seal (subscribed first).
    const noted$ = book$.pipe(tap((book) => {
      if (book.noted === null) return;
      db.replication.retainFrom(retentionFloor(book));
      if (book.noted.kind === 'ack') this.appliedSubject.next({ peer: book.noted.peer, appliedSeq: book.noted.appliedSeq });
      else db.metrics.inc('replication.resendRequests');
    }), ignoreElements());
    const seals$ = book$.pipe(filter((b) => b.gate.seal));
    const sealed$ = sealedSegments(db, merge(seals$, this.sealNow), { track: (work$) => this.lifecycle.track(work$) }).pipe(share());
    // Sealing runs on every tick whether or not a follower is connected (shipping subscribes per follower).
    const sealing$ = sealed$.pipe(ignoreElements());
    const closed$ = db.closed$.pipe(take(1), tap(() => {
      throw new TidalError('Closed', 'the leader database was closed under a running WalShipper: stop the shipper first');
    }));
    this.subscription = merge(
      noted$, sealing$, this.shipping$(sealed$, cursorFeedback), this.status$(), feedback$, pipelineCheckpoints(db, this.options.checkpointIntervalMs, this.lifecycle, this.options.scheduler).pipe(tap(() => this.lifecycle.ok())), closed$,
    ).pipe(takeUntil(this.stopSubject)).subscribe({
      error: (err: unknown) => {
        this.lifecycle.fail(err);
        this.teardown();
      },
    });
    return this;
  }

  /**
   * The book of followers: joins and leaves, feedback and wakes (ticks, and
   * commits in 'commit' mode), stamped with the time and how far the leader
   * has sealed, folded by followerBookStep; multicast through this.book.
   */
  private book$(feedback$: Observable<FollowerFeedback>): Observable<FollowerBook> {
    const { db, followers, scheduler, shipOn } = this.options;
    const clock = scheduler ?? DEFAULT_SCHEDULER;
    // In 'commit' mode each burst of writes wakes the gate once it has been appended (asap: after the writer's synchronous code).
    const commits$ = shipOn === 'commit' ? db.applied$.pipe(auditTime(0, scheduler ?? asapScheduler)) : EMPTY;
    const stamp = () => ({ atMs: clock.now(), sealedThroughSeq: db.replication.sealedThroughSeq });
    return merge(
      followerSessions(followers).pipe(mergeMap(({ peer, left$ }) => concat(
        of<FollowerBookEvent>({ kind: 'join', peer }), left$.pipe(map((): FollowerBookEvent => ({ kind: 'leave', peer }))),
      ))),
      feedback$.pipe(map((feedback): FollowerBookEvent => ({ kind: 'feedback', feedback, ...stamp() }))),
      merge(this.ticks$, commits$).pipe(map((): FollowerBookEvent => ({ kind: 'wake', ...stamp() }))),
    ).pipe(
      scan(followerBookStep, this.book.value),
      share({ connector: () => this.book }), // the book lives in this.book; stop() unsubscribes the scan
    );
  }

  /** Every follower's shipping, woken by each sealed segment; what it ships and fails to ship, reported. */
  private shipping$(sealed$: Observable<unknown>, feedback$: Observable<FollowerFeedback>): Observable<ShipEvent> {
    const { db, transport, followers, scheduler, retransmitAfterMs } = this.options;
    return shipSegments({
      db, transport, followers, scheduler, wake$: sealed$, feedback$, retransmitAfterMs,
      onFailure: (f) => {
        db.metrics.inc(`replication.shipFailures.${errorCode(f.error)}`);
        this.lifecycle.degraded();
        this.rejectedSubject.next(f);
      },
    }).pipe(tap((e) => {
      db.metrics.inc(e.kind === 'checkpoint' ? 'replication.shippedCheckpoints' : 'replication.shippedSegments');
      db.metrics.inc('replication.shippedBytes', e.bytes);
      this.lifecycle.ok();
      this.shippedSubject.next(e);
    }));
  }

  /** On each tick, the leader's position (a relay's: the origin's, relayStatuses.ts) to every follower in the book (bounded staleness there). */
  private status$(): Observable<unknown> {
    const { db, transport, scheduler } = this.options;
    return this.ticks$.pipe(tap(() => {
      const { lastSeq, replication } = db;
      const node = { isFollower: db.isFollower(), lastSeq, stalenessMs: replication.stalenessMs(), leaderStatus: replication.leaderStatus };
      const statuses = relayStatuses(node, (scheduler ?? DEFAULT_SCHEDULER).now());
      for (const peer of this.book.value.followers.keys()) for (const status of statuses) transport.sendStatus(peer, status);
      this.lifecycle.started();
    }));
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
    const { db, scheduler } = this.options;
    return firstValueFrom(awaitInSync$({ book: this.book, sealNow: () => this.sealNow.next(), lastSeq: () => db.lastSeq, scheduler }, options));
  }

  /**
   * Cold: on subscribe, seals at once and emits `{ acked }` (then completes)
   * once `count` followers in the set have reached `seq` at `level`; errors
   * with ReplicationTimeoutError (`code` 'ReplicationTimeout', `details`
   * `{ committedLocally: true, acked }`) after `timeoutMs`, InvalidInput for
   * a bad argument (or `count` above the set's size), Closed if the shipper
   * stops first. See waitForFollowers.ts.
   */
  waitForFollowers$(seq: number, options: WaitForFollowersOptions): Observable<QuorumAck> {
    const { db, scheduler } = this.options;
    return waitForFollowers$({
      book: this.book, sealNow: () => this.sealNow.next(), get lastSeq() { return db.lastSeq; },
      metrics: db.metrics, scheduler: scheduler ?? DEFAULT_SCHEDULER,
    }, seq, options);
  }

  /**
   * Resolves `{ acked }` once `count` followers have reached `seq` at `level`
   * ('received', 'durable' or 'applied'); rejects as waitForFollowers$ errors.
   *
   * @example
   * const seq = await db.signalBatch(signals);
   * const { acked } = await leader.waitForFollowers(seq, { count: 1, level: 'durable', timeoutMs: 1000 });
   */
  waitForFollowers(seq: number, options: WaitForFollowersOptions): Promise<QuorumAck> {
    return firstValueFrom(this.waitForFollowers$(seq, options));
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
