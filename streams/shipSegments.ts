/**
 * Shipping: every follower in parallel (mergeMap), each strictly in order,
 * each at its own pace. A follower's only state on the leader is a cursor
 * (the seqno it is known to have); segments are read from the WAL one at a
 * time when the follower can take them, so a slow or stopped follower never
 * delays the others and never grows the leader's memory.
 */
import { BehaviorSubject, catchError, concatMap, defer, EMPTY, exhaustMap, filter, map, merge, mergeMap, type Observable, of, type SchedulerLike, scan, share, skip, startWith, Subject, switchMap, takeUntil } from 'rxjs';
import { type ReplicationSource, WalError, type WalSegmentPayload } from '../src/index.js';
import { checkpointShipment, isCheckpoint, type Shipment, shipmentLastSeq } from './shipment.js';
import { type FollowerSet, followerSessions } from './followerSessions.js';
import { loopPasses } from './internal/loopPasses.js';
import { emptyFollowerCursor, type FollowerCursorEvent, followerCursorStep } from './followerCursorStep.js';
import type { FollowerFeedback, LeaderTransport, PeerId } from './transport.js';
import { DEFAULT_RETRANSMIT_AFTER_MS, DEFAULT_SCHEDULER } from './defaults.js';

/** One segment (or bootstrap checkpoint) handed to a follower's transport buffer. */
export interface ShipEvent {
  readonly peer: PeerId;
  readonly kind: 'segment' | 'checkpoint';
  /** -1 for a checkpoint. */
  readonly segmentId: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly bytes: number;
  /** Scheduler time when the transport accepted it. */
  readonly atMs: number;
}

/** A shipping failure for one follower (e.g. a segment unreadable on the leader's disk); shipping retries on the next wake. */
export interface ShipFailure {
  readonly peer: PeerId;
  readonly error: unknown;
}

/** What shipSegments uses of a leader: its `replication` seam's reads of sealed segments and checkpoints (a TidalDb has it). */
export interface ShippingDb {
  readonly replication: Pick<ReplicationSource, 'nextSegment$' | 'latestCheckpoint$' | 'shardId' | 'lastSeq' | 'epoch' | 'epochStartSeq'>;
}

/** Options of {@link shipSegments}: the leader, the transport, the follower set, and what wakes it. */
export interface ShipSegmentsOptions {
  /** The leader. */
  readonly db: ShippingDb;
  readonly transport: Pick<LeaderTransport, 'send$'>;
  readonly followers: FollowerSet;
  /** When to look for new segments: the sealed-segment stream, ticks, or both. */
  readonly wake$: Observable<unknown>;
  /** Follower feedback: acks move a cursor forward, resend requests move it back. */
  readonly feedback$: Observable<FollowerFeedback>;
  /**
   * A follower whose acks stop short of what was shipped for this long gets
   * the rest again (a segment lost in transit). Default 5000 ms.
   */
  readonly retransmitAfterMs?: number;
  /** Reports failures instead of erroring the stream. */
  readonly onFailure?: (failure: ShipFailure) => void;
  readonly scheduler?: SchedulerLike;
}

/**
 * Ships sealed segments to every follower in the set.
 *
 *   followers :  [a,b]
 *   feedback  :  -a0-b0------------        (each follower's first ack says where it is)
 *   wake$     :  ---------w-------w-
 *   result    :  --A1-B1---A2B2----A3B3-   (per follower in order; followers independent)
 *
 * Nothing ships to a follower before its first feedback: it says where to
 * start (after a leader restart, that is its acked mark).
 *
 * @example
 * ```ts
 * const leaderEnd = new InProcessTransport({ capacity: 16 });
 * shipSegments({
 *   db, transport: leaderEnd, followers: ['replica-1'],
 *   wake$: sealedSegments(db, sealTicks(100)), feedback$: leaderEnd.feedback(),
 * }).subscribe((e) => console.log(e.peer, e.lastSeq)); // replica-1 1200, once the follower took it
 * ```
 *
 * @see sealedSegments
 * @see replicationLag
 */
export function shipSegments(options: ShipSegmentsOptions): Observable<ShipEvent> {
  const feedback$ = options.feedback$.pipe(share());
  const wake$ = options.wake$.pipe(share());
  return followerSessions(options.followers).pipe(
    mergeMap(({ peer, left$ }) => shipToFollower(peer, options, wake$, feedback$).pipe(takeUntil(left$))),
  );
}

/**
 * One follower's shipping. Its cursor is a pure reducer (followerCursorStep)
 * over its feedback, the wakes and the shipments its transport accepted,
 * multicast through a BehaviorSubject (where it lives: a drain reads `seq`
 * from it before each shipment). A restart (the first feedback, a rewind)
 * switches to a new drain, cancelling the send in flight: it is for a
 * position the follower no longer wants. A resume starts a drain unless one
 * runs.
 *
 *   cursor  :  R------r---w---R---      (R restart, r/w resume)
 *   drains  :  [d1---------]  [d2---    (d1 cancelled at the second R, its send withdrawn)
 */
function shipToFollower(
  peer: PeerId, options: ShipSegmentsOptions, wake$: Observable<unknown>, allFeedback$: Observable<FollowerFeedback>,
): Observable<ShipEvent> {
  return defer(() => {
    const scheduler = options.scheduler ?? DEFAULT_SCHEDULER;
    const cursor = new BehaviorSubject(emptyFollowerCursor(options.retransmitAfterMs ?? DEFAULT_RETRANSMIT_AFTER_MS));
    /** Shipments the transport accepted: events of the cursor, like feedback and wakes. */
    const accepted = new Subject<FollowerCursorEvent>();
    const cursor$ = merge(
      allFeedback$.pipe(filter((f) => f.peer === peer), map((feedback): FollowerCursorEvent => ({ kind: 'feedback', feedback, atMs: scheduler.now() }))),
      wake$.pipe(map((): FollowerCursorEvent => ({ kind: 'wake' }))),
      accepted,
    ).pipe(scan(followerCursorStep, cursor.value), share({ connector: () => cursor }));
    // The (follower mark, leader lastSeq) a divergence probe was last shipped for: see divergenceProbeFrom.
    let probedFor: string | null = null;
    const drain$ = loopPasses(() => {
      const mark = cursor.value.seq;
      if (mark === null) return EMPTY;
      const probeFrom = divergenceProbeFrom(mark, options.db.replication);
      const probeKey = `${mark}/${options.db.replication.lastSeq}`;
      if (probeFrom !== null && probedFor === probeKey) return EMPTY;
      return shipNext$(peer, options, probeFrom ?? mark).pipe(map((s) => {
        probedFor = probeFrom === null ? null : probeKey;
        const event = shipEvent(peer, s, scheduler.now());
        accepted.next({ kind: 'shipped', firstSeq: event.firstSeq, lastSeq: event.lastSeq, checkpoint: isCheckpoint(s), atMs: event.atMs });
        return event;
      }));
    }).pipe(
      catchError((error) => {
        options.onFailure?.({ peer, error });
        return EMPTY;
      }),
    );
    return cursor$.pipe(
      filter((c) => c.drain === 'restart'),
      // skip(1): the cursor's replay of this very restart, which startWith stands for.
      switchMap(() => cursor$.pipe(skip(1), filter((c) => c.drain !== 'none'), startWith(null), exhaustMap(() => drain$))),
    );
  });
}

/**
 * Where to ship from when a follower's mark is past this leader's log, or
 * null when it is not. Such a follower holds events this leader does not:
 * it followed a deposed leader of an older epoch past the promotion point.
 * It learns that only from a segment of this epoch starting at or below its
 * mark, which it refuses as `Diverged` (and is rebuilt); nothing after its
 * mark exists to ship it. So it is shipped the segment holding this epoch's
 * first seqno, once per mark and leader lastSeq (shipToFollower keeps that
 * key: a lost probe is sent again when the leader's log grows, never in a
 * loop). A leader in epoch 0 has no newer epoch to show.
 */
export function divergenceProbeFrom(mark: number, leader: { readonly lastSeq: number; readonly epoch: number; readonly epochStartSeq: number }): number | null {
  if (mark <= leader.lastSeq || leader.epoch === 0 || leader.epochStartSeq > leader.lastSeq) return null;
  return leader.epochStartSeq - 1;
}

/** The next shipment after `after`, once the transport accepted it: the segment holding `after + 1`, or a checkpoint when none is retained. */
function shipNext$(peer: PeerId, options: ShipSegmentsOptions, after: number): Observable<Shipment> {
  return options.db.replication.nextSegment$(after).pipe(
    // No retained segment holds seqno after + 1: the follower is behind retention.
    concatMap((segment) => (segment.firstSeq > after + 1 ? bootstrapCheckpoint$(options.db, peer, after, segment) : of(segment))),
    concatMap((shipment) => options.transport.send$(peer, shipment).pipe(map(() => shipment))),
  );
}

function shipEvent(peer: PeerId, s: Shipment, atMs: number): ShipEvent {
  const checkpoint = isCheckpoint(s);
  return {
    peer, kind: checkpoint ? 'checkpoint' : 'segment', segmentId: checkpoint ? -1 : s.segmentId,
    firstSeq: checkpoint ? 1 : s.firstSeq, lastSeq: shipmentLastSeq(s), bytes: s.bytes.length, atMs,
  };
}

/**
 * The checkpoint to send a follower whose next seqno (`after + 1`) the
 * leader no longer retains: the newest one, if it reaches the first retained
 * segment; otherwise the follower cannot be caught up (`WalError` `Gap`).
 */
function bootstrapCheckpoint$(db: ShippingDb, peer: PeerId, after: number, firstRetained: WalSegmentPayload): Observable<Shipment> {
  return db.replication.latestCheckpoint$().pipe(map((checkpoint) => {
    if (!checkpoint || checkpoint.seq < firstRetained.firstSeq - 1) {
      throw new WalError('Gap', `follower ${peer} needs seqno ${after + 1}, the leader retains from ${firstRetained.firstSeq} and has no checkpoint that reaches it`);
    }
    return checkpointShipment(db.replication.shardId, checkpoint.seq, checkpoint.bytes);
  }));
}
