/**
 * Shipping: every follower in parallel (mergeMap), each strictly in order,
 * each at its own pace. A follower's only state on the leader is a cursor
 * (the seqno it is known to have); segments are read from the WAL one at a
 * time when the follower can take them, so a slow or stopped follower never
 * delays the others and never grows the leader's memory.
 */
import {
  asyncScheduler, catchError, concatMap, EMPTY, exhaustMap, filter, map, merge, mergeMap, type Observable, of,
  type SchedulerLike, share, startWith, takeUntil, tap,
} from 'rxjs';
import { type ReplicationSource, WalError, type WalSegmentPayload } from '../src/index.js';
import { checkpointShipment, isCheckpoint, type Shipment, shipmentLastSeq } from './shipment.js';
import { type FollowerSet, followerSessions } from './followerSessions.js';
import { loopPasses } from './internal/loopPasses.js';
import type { FollowerFeedback, LeaderTransport, PeerId } from './transport.js';

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
  readonly replication: Pick<ReplicationSource, 'nextSegment$' | 'latestCheckpoint$' | 'shardId'>;
}

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

/** 5 s: well past a heartbeat (1 s) plus a ship interval (2 s), so only a real loss triggers it. */
export const DEFAULT_RETRANSMIT_AFTER_MS = 5000;

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

function shipToFollower(
  peer: PeerId, options: ShipSegmentsOptions, wake$: Observable<unknown>, allFeedback$: Observable<FollowerFeedback>,
): Observable<ShipEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const retransmitAfterMs = options.retransmitAfterMs ?? DEFAULT_RETRANSMIT_AFTER_MS;
  const cursor = new FollowerCursor();
  const feedback$ = allFeedback$.pipe(
    filter((f) => f.peer === peer),
    tap((f) => cursor.onFeedback(f, scheduler.now(), retransmitAfterMs)),
  );
  const drain$ = loopPasses(() => {
    if (cursor.seq === null) return EMPTY;
    const rewinds = cursor.rewinds;
    const after = cursor.seq;
    return options.db.replication.nextSegment$(after).pipe(
      // No retained segment holds seqno after + 1: the follower is behind retention.
      concatMap((segment) => (segment.firstSeq > after + 1 ? bootstrapCheckpoint$(options.db, peer, after, segment) : of(segment))),
      concatMap((shipment) => options.transport.send$(peer, shipment).pipe(
        map(() => cursor.onShipped(peer, shipment, scheduler.now(), rewinds)),
      )),
    );
  }).pipe(
    catchError((error) => {
      options.onFailure?.({ peer, error });
      return EMPTY;
    }),
  );
  return merge(wake$, feedback$).pipe(
    startWith(null),
    exhaustMap(() => drain$),
  );
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

/** Where one follower stands, as the leader sees it. */
export class FollowerCursor {
  /** Next segment to ship is the one after this seqno; null until the follower's first feedback. */
  seq: number | null = null;
  /** Bumped whenever the cursor moves back, so a send that was in flight does not move it forward again. */
  rewinds = 0;
  private ackedSeq = 0;
  private lastProgressMs = 0;

  onFeedback(f: FollowerFeedback, nowMs: number, retransmitAfterMs: number): void {
    if (f.appliedSeq > this.ackedSeq) this.lastProgressMs = nowMs;
    this.ackedSeq = Math.max(this.ackedSeq, f.appliedSeq);
    if (this.seq === null || f.kind === 'resend') {
      this.rewindTo(f.appliedSeq, nowMs);
    } else if (f.appliedSeq > this.seq) {
      this.seq = f.appliedSeq;
    } else if (f.appliedSeq < this.seq && nowMs - this.lastProgressMs >= retransmitAfterMs) {
      this.rewindTo(f.appliedSeq, nowMs); // shipped but never applied: lost in transit
    }
  }

  onShipped(peer: PeerId, s: Shipment, nowMs: number, rewindsAtStart: number): ShipEvent {
    const lastSeq = shipmentLastSeq(s);
    const firstSeq = isCheckpoint(s) ? 1 : s.firstSeq;
    if (rewindsAtStart === this.rewinds) this.seq = Math.max(this.seq ?? 0, lastSeq);
    if (this.ackedSeq >= firstSeq - 1 || isCheckpoint(s)) this.lastProgressMs = Math.max(this.lastProgressMs, nowMs);
    return {
      peer, kind: isCheckpoint(s) ? 'checkpoint' : 'segment', segmentId: isCheckpoint(s) ? -1 : s.segmentId,
      firstSeq, lastSeq, bytes: s.bytes.length, atMs: nowMs,
    };
  }

  private rewindTo(seq: number, nowMs: number): void {
    this.seq = seq;
    this.rewinds++;
    this.lastProgressMs = nowMs;
  }
}
