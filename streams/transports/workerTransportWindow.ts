/**
 * The leader's bound on what is in flight to one worker: a credit window.
 * The worker's buffer is on the other side of a MessagePort, so the leader
 * cannot look at it; instead it may post `capacity` shipments the worker
 * has not taken yet, and the worker hands back a credit for each one it
 * takes. A send with no credit left waits, in order; nothing is dropped.
 *
 *   capacity 2:  send a ─ posted        send b ─ posted      send c ─ waits
 *                worker takes a ─ credit ─▶ c posted
 *
 * - `send$(post)`: runs `post` and completes once there is credit (at once,
 *   or when a credit frees one, oldest waiting send first). Unsubscribing a
 *   waiting send withdraws it: it is never posted.
 * - `grant(n)`: n credits back; more than were taken is a broken peer.
 * - `close(err)`: every waiting send errors with `err`; later sends too.
 */
import { Observable, type Subscriber } from 'rxjs';

interface WaitingSend {
  readonly post: () => void;
  readonly subscriber: Subscriber<void>;
}

export class CreditWindow {
  private credits: number;
  private readonly waiting: WaitingSend[] = [];
  private closedWith: Error | null = null;

  /** @param capacity shipments in flight (posted, not yet taken by the worker), at least 1 (the WorkerTransport checks it) */
  constructor(readonly capacity: number) {
    this.credits = capacity;
  }

  /** Shipments posted and not yet taken. */
  get inFlight(): number {
    return this.capacity - this.credits;
  }

  /** Sends waiting for credit. */
  get waitingSends(): number {
    return this.waiting.length;
  }

  send$(post: () => void): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.closedWith) return subscriber.error(this.closedWith);
      if (this.credits > 0 && this.waiting.length === 0) return this.postNow({ post, subscriber });
      const waiting = { post, subscriber };
      this.waiting.push(waiting);
      return () => {
        const i = this.waiting.indexOf(waiting);
        if (i >= 0) this.waiting.splice(i, 1);
      };
    });
  }

  /**
   * `n` shipments were taken: `n` credits back, and waiting sends go out.
   * Returns false (granting nothing) when that would exceed `capacity`: the
   * peer credited what it never got.
   */
  grant(n: number): boolean {
    if (!Number.isInteger(n) || n < 1 || this.credits + n > this.capacity) return false;
    this.credits += n;
    while (this.credits > 0 && this.waiting.length > 0 && !this.closedWith) this.postNow(this.waiting.shift()!);
    return true;
  }

  close(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const w of this.waiting.splice(0)) w.subscriber.error(err);
  }

  private postNow({ post, subscriber }: WaitingSend): void {
    try {
      post();
    } catch (err) {
      subscriber.error(err);
      return;
    }
    this.credits--;
    subscriber.next();
    subscriber.complete();
  }
}
