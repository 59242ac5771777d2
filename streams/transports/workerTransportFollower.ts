/**
 * WorkerTransportFollower: a replica worker's end (a FollowerTransport) of a worker transport,
 * on one MessagePort, for one peer. Shipments land in a BoundedChannel of
 * the leader's `capacity`; taking one hands the leader a credit for
 * another (see CreditWindow), so the channel never holds more than
 * `capacity` and the leader never waits on a worker with room.
 *
 *   port     : --s1--s2------------s3---
 *   receive$ : ---------s1----s2------s3    (one at a time, as the SegmentReceiver pulls)
 *   credits  : ---------c-----c-------c     (one back to the leader per shipment taken)
 *
 * @example
 * const end = new WorkerTransportFollower(port, { peer: 'r1', capacity: 16 });
 * startFollower({ db: replica, transport: end, peer: 'r1' });
 */
import { firstValueFrom, type Observable, repeat, Subject, tap, throwError } from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import type { FollowerFeedback, FollowerTransport, PeerId } from '../transport.js';
import { BoundedChannel } from './boundedChannel.js';
import { decodeShipment, isMessage, type ToFollower, type ToLeader, type WorkerPort } from './workerTransportMessages.js';

export interface WorkerTransportFollowerOptions {
  /** This worker's peer id. */
  readonly peer: PeerId;
  /** The leader's WorkerTransport capacity: shipments it may have in flight here. */
  readonly capacity: number;
}

const TO_FOLLOWER = new Set(['shipment', 'status']);

export class WorkerTransportFollower implements FollowerTransport {
  readonly peer: PeerId;
  private readonly channel: BoundedChannel<Shipment>;
  private readonly statusSubject = new Subject<LeaderStatus>();
  private readonly listener = (message: unknown) => this.onMessage(message);
  private closedWith: TidalError | null = null;

  constructor(private readonly port: WorkerPort, options: WorkerTransportFollowerOptions) {
    this.peer = options.peer;
    this.channel = new BoundedChannel<Shipment>(options.capacity);
    port.on('message', this.listener);
  }

  recvSegment(peer: PeerId): Promise<Shipment> {
    return firstValueFrom(this.receive$(peer));
  }

  /** Cold: takes the next shipment (waiting for one), then credits the leader for it. */
  receive$(peer: PeerId): Observable<Shipment> {
    if (peer !== this.peer) return throwError(() => this.otherPeer('receive$', peer));
    return this.channel.receive$().pipe(tap(() => this.post({ t: 'credit', n: 1 })));
  }

  segments(peer: PeerId): Observable<Shipment> {
    return this.receive$(peer).pipe(repeat());
  }

  status(peer: PeerId): Observable<LeaderStatus> {
    if (peer !== this.peer) return throwError(() => this.otherPeer('status', peer));
    return this.statusSubject.asObservable();
  }

  /** Lossy, as feedback is: dropped once closed. */
  sendFeedback(feedback: FollowerFeedback): void {
    this.post({ t: 'feedback', feedback });
  }

  /** Shipments received and not yet taken. */
  get buffered(): number {
    return this.channel.size;
  }

  /** Stops listening; a waiting receive errors with `Closed`, status completes. The port is its owner's to close. */
  close(): void {
    if (this.closedWith) return;
    this.closedWith = new TidalError('Closed', `the worker transport of peer ${JSON.stringify(this.peer)} is closed`);
    this.port.off('message', this.listener);
    this.channel.close(this.closedWith);
    this.statusSubject.complete();
  }

  private onMessage(message: unknown): void {
    if (!isMessage<ToFollower>(message, TO_FOLLOWER)) {
      this.fail(new TidalError('Failed', `the leader sent peer ${JSON.stringify(this.peer)} a message that is not part of the worker transport`));
      return;
    }
    if (message.t === 'status') {
      this.statusSubject.next(message.status);
      return;
    }
    if (this.channel.size >= this.channel.capacity) {
      this.fail(new TidalError('Failed', `the leader sent peer ${JSON.stringify(this.peer)} more than its ${this.channel.capacity} segments of credit`));
      return;
    }
    let shipment: Shipment;
    try {
      shipment = decodeShipment(message.shipment);
    } catch (err) {
      this.fail(new TidalError('Failed', `the leader sent peer ${JSON.stringify(this.peer)} a malformed shipment: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.channel.send$(shipment).subscribe();
  }

  /** A broken leader end: nothing more is taken from it (the SegmentReceiver fails on the receive error). */
  private fail(err: TidalError): void {
    this.port.off('message', this.listener);
    this.closedWith = err;
    this.channel.close(err);
    this.statusSubject.complete();
  }

  private post(message: ToLeader): void {
    if (!this.closedWith) this.port.postMessage(message);
  }

  private otherPeer(method: string, peer: PeerId): TidalError {
    return new TidalError('InvalidInput', `${method}(${JSON.stringify(peer)}): this worker transport is peer ${JSON.stringify(this.peer)}`);
  }
}
