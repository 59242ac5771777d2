/**
 * The transport: how sealed segments travel from a leader to its followers,
 * and how followers talk back. Two ends with different jobs, so two
 * interfaces; an end offers only what it can do.
 *
 *   LeaderTransport                                  FollowerTransport
 *   send$(peer, s) / sendSegment ── shipments ──▶   receive$(peer) / recvSegment / segments
 *   sendStatus(peer, status)     ── status ─────▶   status(peer)
 *   feedback()                   ◀── feedback ───   sendFeedback(f)
 *
 * Leader → follower: segments, and a checkpoint first for a follower behind
 * what the leader retains (see Shipment; bounded per peer: a full buffer
 * makes the sender wait, that is the backpressure) and status announcements.
 * Follower → leader: feedback, carrying the follower's received, durable
 * and applied seqnos (acks) and its re-send requests.
 *
 * `startLeader` asks for a LeaderTransport, `startFollower` for a
 * FollowerTransport. A transport that carries both directions in one object
 * (InProcessTransport, a FaultInjectingTransport around one) is a
 * `Transport`, both at once. The TCP ends and the worker ends are one
 * interface each: `TcpTransport.listen` and `WorkerTransport` are leader
 * ends, `TcpTransport.connect` and `WorkerTransportFollower` follower ends.
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
  /**
   * Highest seqno stored durably there (fsynced with a dir; in memory, the
   * applied mark). received >= durable >= applied. A follower that does not
   * send it (an older one) counts as durable up to `appliedSeq`, which its
   * apply made durable.
   */
  readonly durableSeq?: number;
  /** Highest seqno received and validated there (may be ahead of applied). */
  readonly receivedSeq: number;
  /** Follower clock, ms since epoch. */
  readonly atMs: number;
}

/** The leader's end: ships segments, announces its position, hears feedback. */
export interface LeaderTransport {
  /** Resolves once `peer`'s bounded buffer accepted `segment`; waits while it is full. */
  sendSegment(peer: PeerId, segment: Shipment): Promise<void>;
  /** Cold: on subscribe, offers `segment`; emits once and completes when accepted. Unsubscribing withdraws it. */
  send$(peer: PeerId, segment: Shipment): Observable<void>;
  /** Feedback from every follower. Hot. */
  feedback(): Observable<FollowerFeedback>;
  /** Announces the leader's position to `peer`. Lossy by design: the next announcement supersedes it. */
  sendStatus(peer: PeerId, status: LeaderStatus): void;
}

/** A follower's end: takes segments, hears announcements, sends feedback. */
export interface FollowerTransport {
  /** Resolves with the next segment for `peer`, waiting for one if none is buffered. */
  recvSegment(peer: PeerId): Promise<Shipment>;
  /** Cold: on subscribe, takes the next segment for `peer` (waiting if needed); emits it and completes. */
  receive$(peer: PeerId): Observable<Shipment>;
  /** Every segment for `peer`, taken from its buffer as they come. */
  segments(peer: PeerId): Observable<Shipment>;
  /** Sends follower feedback to the leader. Lossy by design (see FollowerFeedback). */
  sendFeedback(feedback: FollowerFeedback): void;
  /** Announcements for `peer`. Hot. */
  status(peer: PeerId): Observable<LeaderStatus>;
}

/** Both ends in one object: what a co-located transport (InProcessTransport) offers. */
export type Transport = LeaderTransport & FollowerTransport;
