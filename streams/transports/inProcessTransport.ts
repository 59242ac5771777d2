/**
 * InProcessTransport: co-located leader and followers, Subject-backed; both
 * ends in one object (a `Transport`: a LeaderTransport and a FollowerTransport).
 * Segments go through one {@link BoundedChannel} per peer (`capacity`
 * segments; a full one makes `sendSegment` wait, it never drops); feedback
 * and status are hot Subjects.
 *
 * @example
 * const transport = new InProcessTransport({ capacity: 8 });
 * const leader = startLeader({ db, transport, followers: ['f1'] });
 * const follower = startFollower({ db: replica, transport, peer: 'f1' });
 */
import { filter, firstValueFrom, Observable, repeat, Subject } from 'rxjs';
import { TidalError, type LeaderStatus } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import type { FollowerFeedback, PeerId, Transport } from '../transport.js';
import { BoundedChannel } from './boundedChannel.js';
import { DEFAULT_CHANNEL_CAPACITY } from '../defaults.js';

/** Options of {@link InProcessTransport}. */
export interface InProcessTransportOptions {
  /** Segments buffered per peer before senders wait. Default 16. */
  capacity?: number;
}

/**
 * Both ends of replication in one process: one bounded channel per follower. A full channel
 * makes the sender wait (backpressure); nothing is dropped. `close()` errors everything waiting.
 *
 * @example
 * ```ts
 * const transport = new InProcessTransport({ capacity: 16 });
 * startLeader({ db: leader, transport, followers: ['replica-1'] });
 * startFollower({ db: replica, transport, peer: 'replica-1' });
 * ```
 */
export class InProcessTransport implements Transport {
  readonly capacity: number;
  private readonly channels = new Map<PeerId, BoundedChannel<Shipment>>();
  private readonly feedbackSubject = new Subject<FollowerFeedback>();
  private readonly statusSubject = new Subject<{ peer: PeerId; status: LeaderStatus }>();
  private closed = false;

  constructor(options: InProcessTransportOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_CHANNEL_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TidalError('InvalidInput', `capacity must be an integer >= 1, got ${String(capacity)}`);
    }
    this.capacity = capacity;
  }

  sendSegment(peer: PeerId, segment: Shipment): Promise<void> {
    return firstValueFrom(this.send$(peer, segment));
  }

  recvSegment(peer: PeerId): Promise<Shipment> {
    return firstValueFrom(this.receive$(peer));
  }

  send$(peer: PeerId, segment: Shipment): Observable<void> {
    return this.channel(peer).send$(segment);
  }

  receive$(peer: PeerId): Observable<Shipment> {
    return this.channel(peer).receive$();
  }

  segments(peer: PeerId): Observable<Shipment> {
    return this.receive$(peer).pipe(repeat());
  }

  sendFeedback(feedback: FollowerFeedback): void {
    if (!this.closed) this.feedbackSubject.next(feedback);
  }

  feedback(): Observable<FollowerFeedback> {
    return this.feedbackSubject.asObservable();
  }

  sendStatus(peer: PeerId, status: LeaderStatus): void {
    if (!this.closed) this.statusSubject.next({ peer, status });
  }

  status(peer: PeerId): Observable<LeaderStatus> {
    return new Observable<LeaderStatus>((subscriber) =>
      this.statusSubject.pipe(filter((m) => m.peer === peer)).subscribe({
        next: (m) => subscriber.next(m.status),
        complete: () => subscriber.complete(),
      }));
  }

  /** Segments buffered for `peer` now. */
  buffered(peer: PeerId): number {
    return this.channels.get(peer)?.size ?? 0;
  }

  /** Errors every waiting send and receive with `Closed` and completes the hot streams. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new TidalError('Closed', 'the transport is closed');
    for (const c of this.channels.values()) c.close(err);
    this.feedbackSubject.complete();
    this.statusSubject.complete();
  }

  private channel(peer: PeerId): BoundedChannel<Shipment> {
    let c = this.channels.get(peer);
    if (!c) {
      c = new BoundedChannel<Shipment>(this.capacity);
      if (this.closed) c.close(new TidalError('Closed', 'the transport is closed'));
      this.channels.set(peer, c);
    }
    return c;
  }
}
