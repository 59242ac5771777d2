/**
 * The Transport: how sealed segments travel from a leader to its followers,
 * and how followers talk back.
 *
 * Leader → follower: segments, and a checkpoint first for a follower behind
 * what the leader retains (see Shipment; bounded per peer: a full buffer makes the
 * sender wait, that is the backpressure) and status announcements.
 * Follower → leader: feedback, carrying the follower's applied and
 * received seqnos (acks) and its re-send requests.
 *
 * The Promise methods are the public edge (as the seed's async
 * `send_segment`/`recv_segment`); pipelines use the Observable forms, which
 * run in virtual time under a TestScheduler.
 */
import type { Observable } from 'rxjs';
import type { LeaderStatus } from '../src/index.js';
import type { Shipment } from './shipment.js';

/** A follower's name on the transport. */
export type PeerId = string;

/** Follower → leader. Feedback is state, not a log: a lost message is repaired by the next heartbeat. */
export interface FollowerFeedback {
  readonly peer: PeerId;
  /** 'ack': where I am. 'resend': I could not apply what came; send again after `appliedSeq`. */
  readonly kind: 'ack' | 'resend';
  /** Highest seqno applied there (and durable, with a dir). */
  readonly appliedSeq: number;
  /** Highest seqno received and validated there (may be ahead of applied). */
  readonly receivedSeq: number;
  /** Follower clock, ms since epoch. */
  readonly atMs: number;
}

export interface Transport {
  /** Resolves once `peer`'s bounded buffer accepted `segment`; waits while it is full. */
  sendSegment(peer: PeerId, segment: Shipment): Promise<void>;
  /** Resolves with the next segment for `peer`, waiting for one if none is buffered. */
  recvSegment(peer: PeerId): Promise<Shipment>;
  /** Cold: on subscribe, offers `segment`; emits once and completes when accepted. Unsubscribing withdraws it. */
  send$(peer: PeerId, segment: Shipment): Observable<void>;
  /** Cold: on subscribe, takes the next segment for `peer` (waiting if needed); emits it and completes. */
  receive$(peer: PeerId): Observable<Shipment>;
  /** Every segment for `peer`, taken from its buffer as they come. */
  segments(peer: PeerId): Observable<Shipment>;
  /** Sends follower feedback to the leader. Lossy by design (see FollowerFeedback). */
  sendFeedback(feedback: FollowerFeedback): void;
  /** Feedback from every follower. Hot. */
  feedback(): Observable<FollowerFeedback>;
  /** Announces the leader's position to `peer`. Lossy by design: the next announcement supersedes it. */
  sendStatus(peer: PeerId, status: LeaderStatus): void;
  /** Announcements for `peer`. Hot. */
  status(peer: PeerId): Observable<LeaderStatus>;
}
