/**
 * SimNetwork: the wire between simulated nodes, in virtual time. Each node
 * gets an endpoint implementing `Transport`; every message takes a random
 * latency, messages between two nodes arrive in order (as over TCP), and a
 * message between nodes that are partitioned apart, or to a node that is
 * down, is lost (checked when sent and again when it arrives).
 *
 * Segments go into one bounded inbox per receiving node (the in-process
 * transport's BoundedChannel): a full inbox makes the sender wait. Drops,
 * duplicates, reorders and bit flips are the FaultInjectingTransport's job,
 * wrapped around a leader's endpoint; this network only loses and delays.
 */
import { defer, firstValueFrom, Observable, repeat, type SchedulerLike, Subject, Subscription, tap } from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import { type FollowerFeedback, type PeerId, type Shipment, type Transport } from '../../streams/index.js';
import { BoundedChannel } from '../../streams/transports/boundedChannel.js';

export interface SimNetworkEnv {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  /** Segments buffered per receiving node before senders wait. */
  readonly capacity: number;
  /** One-way latency, virtual ms, [min, max]. */
  readonly latencyMs: readonly [number, number];
}

/** What the guarantee checks need to see go by. */
export interface NetworkObserver {
  /** A shipment is handed to `node`'s receiver. */
  onDeliver(node: PeerId, shipment: Shipment): void;
  /** `node` sent feedback (whether or not it arrives). */
  onFeedback(node: PeerId, feedback: FollowerFeedback): void;
}

export interface NetworkStats {
  segmentsDelivered: number;
  segmentsLost: number;
  messagesLost: number;
}

export class SimNetwork {
  readonly stats: NetworkStats = { segmentsDelivered: 0, segmentsLost: 0, messagesLost: 0 };
  private readonly inboxes = new Map<PeerId, BoundedChannel<Shipment>>();
  private readonly feedbackTo = new Map<PeerId, Subject<FollowerFeedback>>();
  private readonly statusTo = new Map<PeerId, Subject<LeaderStatus>>();
  private readonly lastArrival = new Map<string, number>();
  private readonly up = new Set<PeerId>();
  private groupOf: Map<PeerId, number> | null = null;

  constructor(private readonly env: SimNetworkEnv, private readonly observer: NetworkObserver) {}

  /** `node`'s view of the network. */
  endpoint(node: PeerId): Transport {
    return new SimEndpoint(this, node);
  }

  /** Marks a node up (it receives) or down (everything sent to it is lost; its inbox is emptied). */
  setUp(node: PeerId, isUp: boolean): void {
    if (isUp) {
      this.up.add(node);
      return;
    }
    this.up.delete(node);
    this.inboxes.get(node)?.close(new TidalError('Closed', `${node} is down`));
    this.inboxes.delete(node);
  }

  /** Splits the nodes into groups that cannot reach each other. */
  partition(groups: readonly (readonly PeerId[])[]): void {
    this.groupOf = new Map();
    groups.forEach((group, i) => group.forEach((node) => this.groupOf!.set(node, i)));
  }

  heal(): void {
    this.groupOf = null;
  }

  get partitioned(): boolean {
    return this.groupOf !== null;
  }

  reachable(from: PeerId, to: PeerId): boolean {
    if (!this.up.has(from) || !this.up.has(to)) return false;
    return this.groupOf === null || this.groupOf.get(from) === this.groupOf.get(to);
  }

  send$(from: PeerId, to: PeerId, shipment: Shipment): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (!this.reachable(from, to)) {
        this.stats.segmentsLost++;
        subscriber.next();
        subscriber.complete();
        return undefined;
      }
      const inner = new Subscription();
      inner.add(this.env.scheduler.schedule(() => {
        if (!this.reachable(from, to)) {
          this.stats.segmentsLost++;
          subscriber.next();
          subscriber.complete();
          return;
        }
        inner.add(this.inbox(to).send$(shipment).subscribe(subscriber));
      }, this.latency()));
      return inner;
    });
  }

  receive$(node: PeerId): Observable<Shipment> {
    return defer(() => this.inbox(node).receive$()).pipe(tap((s) => {
      this.stats.segmentsDelivered++;
      this.observer.onDeliver(node, s);
    }));
  }

  sendFeedback(from: PeerId, feedback: FollowerFeedback): void {
    this.observer.onFeedback(from, feedback);
    for (const [to, subject] of this.feedbackTo) {
      // Only a running leader listens; nobody else would notice the message.
      if (to !== from && subject.observed) this.deliver(from, to, 'feedback', () => subject.next(feedback));
    }
  }

  feedback(node: PeerId): Observable<FollowerFeedback> {
    return subjectOf(this.feedbackTo, node).asObservable();
  }

  sendStatus(from: PeerId, to: PeerId, status: LeaderStatus): void {
    this.deliver(from, to, 'status', () => subjectOf(this.statusTo, to).next(status));
  }

  status(node: PeerId): Observable<LeaderStatus> {
    return subjectOf(this.statusTo, node).asObservable();
  }

  /** Delivers a small message after a latency, in order per (from, to, kind), if still reachable. */
  private deliver(from: PeerId, to: PeerId, kind: string, arrive: () => void): void {
    if (!this.reachable(from, to)) {
      this.stats.messagesLost++;
      return;
    }
    const key = `${from}>${to}:${kind}`;
    const now = this.env.scheduler.now();
    const at = Math.max(now + this.latency(), this.lastArrival.get(key) ?? 0);
    this.lastArrival.set(key, at);
    this.env.scheduler.schedule(() => {
      if (this.reachable(from, to)) arrive();
      else this.stats.messagesLost++;
    }, at - now);
  }

  private inbox(node: PeerId): BoundedChannel<Shipment> {
    let inbox = this.inboxes.get(node);
    if (!inbox) {
      inbox = new BoundedChannel<Shipment>(this.env.capacity);
      this.inboxes.set(node, inbox);
    }
    return inbox;
  }

  private latency(): number {
    const [min, max] = this.env.latencyMs;
    return min + Math.floor(this.env.random() * (max - min + 1));
  }
}

function subjectOf<T>(subjects: Map<PeerId, Subject<T>>, node: PeerId): Subject<T> {
  let subject = subjects.get(node);
  if (!subject) {
    subject = new Subject<T>();
    subjects.set(node, subject);
  }
  return subject;
}

/** One node's Transport: sends leave from `node`; receive$, feedback() and status() are `node`'s. */
class SimEndpoint implements Transport {
  constructor(private readonly network: SimNetwork, private readonly node: PeerId) {}

  sendSegment(peer: PeerId, segment: Shipment): Promise<void> {
    return firstValueFrom(this.send$(peer, segment));
  }

  recvSegment(peer: PeerId): Promise<Shipment> {
    return firstValueFrom(this.receive$(peer));
  }

  send$(peer: PeerId, segment: Shipment): Observable<void> {
    return this.network.send$(this.node, peer, segment);
  }

  receive$(peer: PeerId): Observable<Shipment> {
    return this.network.receive$(peer);
  }

  segments(peer: PeerId): Observable<Shipment> {
    return this.receive$(peer).pipe(repeat());
  }

  sendFeedback(feedback: FollowerFeedback): void {
    this.network.sendFeedback(this.node, feedback);
  }

  feedback(): Observable<FollowerFeedback> {
    return this.network.feedback(this.node);
  }

  sendStatus(peer: PeerId, status: LeaderStatus): void {
    this.network.sendStatus(this.node, peer, status);
  }

  status(peer: PeerId): Observable<LeaderStatus> {
    return this.network.status(peer);
  }
}
