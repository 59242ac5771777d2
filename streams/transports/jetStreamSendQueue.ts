/**
 * JetStreamSendQueue: the JetStream leader's bounded queue of `send$`
 * calls, published one at a time, in order (every publish expects the
 * previous one's sequence, so they cannot overlap).
 *
 * - At most `capacity` sends are admitted; more wait, in order. Nothing is
 *   dropped because the queue is full.
 * - Unsubscribing a send withdraws it; the one being published is finished
 *   (a message half published would be published again anyway), its
 *   subscriber no longer told.
 * - `close(err)` errors every send, admitted, waiting or in progress.
 *
 *   capacity 2:  send a ─ admitted, published ─ completes
 *                send b ─ admitted ─ published after a
 *                send c ─ waits ─ admitted when a completes
 */
import type { Subscriber } from 'rxjs';
import type { Shipment } from '../shipment.js';
import type { PeerId } from '../transport.js';

/** One `send$` waiting to be published. */
export interface QueuedSend {
  readonly peer: PeerId;
  readonly shipment: Shipment;
  readonly subscriber: Subscriber<void>;
  /** Set once when first published for one follower: its message id stays the same across retries. */
  uniq: number | null;
}

export class JetStreamSendQueue {
  private readonly admitted: QueuedSend[] = [];
  private readonly waiting: QueuedSend[] = [];
  private inProgress: QueuedSend | null = null;

  /** @param capacity sends admitted before more wait, at least 1 */
  constructor(readonly capacity: number) {}

  /** Sends admitted now (at most `capacity`). */
  get size(): number {
    return this.admitted.length;
  }

  /** Sends waiting for room. */
  get waitingSends(): number {
    return this.waiting.length;
  }

  add(peer: PeerId, shipment: Shipment, subscriber: Subscriber<void>): QueuedSend {
    const entry: QueuedSend = { peer, shipment, subscriber, uniq: null };
    if (this.admitted.length < this.capacity) this.admitted.push(entry);
    else this.waiting.push(entry);
    return entry;
  }

  /** The next send to publish, marked in progress; null when one is in progress or none is admitted. */
  take(): QueuedSend | null {
    if (this.inProgress || this.admitted.length === 0) return null;
    this.inProgress = this.admitted[0]!;
    return this.inProgress;
  }

  /** The send in progress could not be published now: it stays first, to be taken again. */
  putBack(entry: QueuedSend): void {
    if (this.inProgress === entry) this.inProgress = null;
  }

  /** The send in progress is published: it leaves the queue, and its subscriber (if still there) is told. */
  done(entry: QueuedSend): void {
    if (this.inProgress !== entry) return;
    this.inProgress = null;
    this.remove(entry);
    entry.subscriber.next();
    entry.subscriber.complete();
  }

  /** `entry`'s subscriber left: removed, unless it is being published (then finished untold). */
  withdraw(entry: QueuedSend): void {
    if (this.inProgress !== entry) this.remove(entry);
  }

  /** Errors every send with `err` and empties the queue. */
  close(err: Error): void {
    const all = [...this.admitted, ...this.waiting];
    this.admitted.length = 0;
    this.waiting.length = 0;
    this.inProgress = null;
    for (const e of all) e.subscriber.error(err);
  }

  private remove(entry: QueuedSend): void {
    const i = this.admitted.indexOf(entry);
    if (i >= 0) {
      this.admitted.splice(i, 1);
      const next = this.waiting.shift();
      if (next) this.admitted.push(next);
      return;
    }
    const j = this.waiting.indexOf(entry);
    if (j >= 0) this.waiting.splice(j, 1);
  }
}
