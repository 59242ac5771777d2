/**
 * WalShipper: the leader side, composed from the operators:
 *
 *   sealTicks ─▶ sealedSegments ─▶ shipSegments (mergeMap per follower) ─▶ transport
 *                                        ▲
 *   transport.feedback() ────────────────┴──▶ replicationLag ─▶ ReplicationLagGauge ─▶ db.metrics
 *   sealTicks ─▶ status announcements ─▶ transport.sendStatus (bounded staleness on followers)
 */
import {
  asapScheduler, asyncScheduler, auditTime, BehaviorSubject, defer, EMPTY, firstValueFrom, ignoreElements, filter, isObservable, map, merge, mergeMap, type Observable,
  type SchedulerLike, share, shareReplay, Subject, type Subscription, take, takeUntil, tap, throwError, throwIfEmpty, timeout,
} from 'rxjs';
import { TidalError, type TidalDb } from '../src/index.js';
import { checkLeaderOptions } from './pipelineOptions.js';
import { PipelineLifecycle, type PipelineError, type PipelineState } from './pipelineLifecycle.js';
import { type FollowerSet, followerSessions } from './followerSessions.js';
import { errorCode } from './internal/errorCode.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, periodicCheckpoints } from './periodicCheckpoints.js';
import type { LagReport } from './replicationLag.js';
import { ReplicationLagGauge } from './replicationLagGauge.js';
import { sealedSegments } from './sealedSegments.js';
import { sealTicks } from './sealTicks.js';
import { followerCanTakeSegment, gateSeals } from './gateSeals.js';
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
 * no longer paces sealing (gateSeals): several ship-and-apply round trips
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
  private readonly feedback$: Observable<FollowerFeedback>;
  private readonly ticks$: Observable<number>;
  private subscription: Subscription | null = null;
  private stopped = false;
  private readonly options: LeaderOptions;
  /** Followers in the set now: only their feedback counts toward lag. */
  private readonly active = new Set<PeerId>();
  private readonly lifecycle = new PipelineLifecycle();
  /** Seals at once, between ticks (awaitInSync). */
  private readonly sealNow = new Subject<void>();
  /** Each follower ack or resend request, once noted (the seal gate rechecks on it). */
  private readonly feedbackNoted = new Subject<void>();
  /** What each follower in the set acked last. */
  private readonly ackedSubject = new BehaviorSubject<ReadonlyMap<PeerId, number>>(new Map());

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
    const scheduler = options.scheduler ?? asyncScheduler;
    this.ticks$ = sealTicks(options.shipIntervalMs ?? DEFAULT_SHIP_INTERVAL_MS, scheduler).pipe(share());
    this.feedback$ = options.transport.feedback().pipe(takeUntil(this.stopSubject), share());
    this.gauge = new ReplicationLagGauge(options.db, {
      feedback$: this.feedback$.pipe(filter((f) => this.active.has(f.peer))), shipped$: this.shipped$, ticks$: this.ticks$, scheduler,
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
    const active = this.active;
    const lifecycle = this.lifecycle;
    this.gauge.start();
    const acked = new Map<PeerId, number>();
    const progressAtMs = new Map<PeerId, number>();
    const clock = scheduler ?? asyncScheduler;
    const stalledAfterMs = Math.max(this.options.shipIntervalMs ?? DEFAULT_SHIP_INTERVAL_MS, MIN_STALLED_AFTER_MS);
    let lastSealAtMs: number | null = null;
    const ready = () => followerCanTakeSegment(
      [...active].map((peer) => ({ ackedSeq: acked.get(peer) ?? 0, progressAtMs: progressAtMs.get(peer) ?? null })),
      { sealedThroughSeq: db.replication.sealedThroughSeq, nowMs: clock.now(), lastSealAtMs, stalledAfterMs },
    );
    // In 'commit' mode each burst of writes wakes the gate once it has been appended (asap: after the writer's synchronous code).
    const commits$ = this.options.shipOn === 'commit' ? db.applied$.pipe(auditTime(0, scheduler ?? asapScheduler)) : EMPTY;
    const wakes$ = merge(this.ticks$, commits$).pipe(gateSeals(this.feedbackNoted, ready), tap(() => (lastSealAtMs = clock.now())));
    const sealed$ = sealedSegments(db, merge(wakes$, this.sealNow), { track: (work$) => lifecycle.track(work$) }).pipe(share());
    const shipping$ = shipSegments({
      db, transport, followers, scheduler, wake$: sealed$, feedback$: this.feedback$,
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
    const membership$ = followerSessions(followers).pipe(
      mergeMap(({ peer, left$ }) => {
        active.add(peer);
        return left$.pipe(tap(() => active.delete(peer)));
      }),
    );
    const status$ = this.ticks$.pipe(tap(() => {
      const status = { lastSeq: db.lastSeq, atMs: (scheduler ?? asyncScheduler).now() };
      for (const peer of active) transport.sendStatus(peer, status);
      lifecycle.started();
    }));
    const acks$ = this.feedback$.pipe(
      filter((f) => active.has(f.peer)),
      tap((f) => {
        if (!progressAtMs.has(f.peer) || f.appliedSeq > (acked.get(f.peer) ?? 0)) progressAtMs.set(f.peer, clock.now());
        acked.set(f.peer, f.appliedSeq);
        this.ackedSubject.next(acked);
        db.replication.retainFrom(retentionFloor(active, acked));
        if (f.kind === 'ack') this.appliedSubject.next({ peer: f.peer, appliedSeq: f.appliedSeq });
        else db.metrics.inc('replication.resendRequests');
        this.feedbackNoted.next();
      }),
    );
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
    this.subscription = merge(sealing$, membership$, shipping$, status$, acks$, checkpoints$, closed$).pipe(takeUntil(this.stopSubject)).subscribe({
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
      const behind = (acked: ReadonlyMap<PeerId, number>) => [...this.active].filter((p) => (acked.get(p) ?? 0) < target);
      return this.ackedSubject.pipe(
        filter((acked) => behind(acked).length === 0),
        take(1),
        map(() => undefined),
        throwIfEmpty(() => new TidalError('Closed', `awaitInSync: the shipper stopped before every follower acked seqno ${target}`)),
        timeout({
          first: timeoutMs, scheduler: options.scheduler ?? this.options.scheduler ?? asyncScheduler,
          with: () => throwError(() => new TidalError('Timeout', `awaitInSync: followers ${behind(this.ackedSubject.value).join(', ')} had not acked seqno ${target} within ${timeoutMs} ms`)),
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
    this.ackedSubject.complete();
    this.sealNow.complete();
    this.feedbackNoted.complete();
  }
}

/**
 * The replication slot: the lowest seqno any follower in the set has acked
 * (0 for one not heard from yet); Infinity with no followers.
 */
export function retentionFloor(active: ReadonlySet<PeerId>, acked: ReadonlyMap<PeerId, number>): number {
  let floor = Infinity;
  for (const peer of active) floor = Math.min(floor, acked.get(peer) ?? 0);
  return floor;
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
