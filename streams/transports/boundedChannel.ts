/**
 * A bounded, Observable-first channel: the buffer behind one peer of the
 * in-process transport.
 *
 * - `send$(item)`: accepted at once if a receiver waits or the buffer has
 *   room; otherwise the sender waits, in order. Nothing is ever dropped:
 *   unsubscribing a waiting send withdraws it (the caller knows it was not sent).
 * - `receive$()`: takes the oldest item, admitting the oldest waiting sender
 *   into the freed slot; waits if the buffer is empty.
 * - `close(err)`: every waiting sender and receiver errors with `err`; later
 *   calls error at once. Nothing waits forever.
 *
 *   capacity 1:  send a ─ accepted        receive ─ a
 *                send b ─ accepted        receive ─ b (admits c)
 *                send c ─ waits ... accepted
 */
import { Observable, type Subscriber } from 'rxjs';

interface WaitingSender<T> {
  readonly item: T;
  readonly subscriber: Subscriber<void>;
}

export class BoundedChannel<T> {
  private readonly buffer: T[] = [];
  private readonly senders: WaitingSender<T>[] = [];
  private readonly receivers: Subscriber<T>[] = [];
  private closedWith: Error | null = null;

  /** @param capacity items buffered before senders wait, at least 1 */
  constructor(readonly capacity: number) {}

  /** Items buffered now (at most `capacity`). */
  get size(): number {
    return this.buffer.length;
  }

  /** Senders waiting for room. */
  get waitingSenders(): number {
    return this.senders.length;
  }

  send$(item: T): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.closedWith) return subscriber.error(this.closedWith);
      const receiver = this.receivers.shift();
      if (receiver) {
        receiver.next(item);
        receiver.complete();
        return accept(subscriber);
      }
      if (this.buffer.length < this.capacity) {
        this.buffer.push(item);
        return accept(subscriber);
      }
      const waiting = { item, subscriber };
      this.senders.push(waiting);
      return () => remove(this.senders, waiting);
    });
  }

  receive$(): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.buffer.length > 0) {
        const item = this.buffer.shift()!;
        this.admitWaitingSender();
        subscriber.next(item);
        subscriber.complete();
        return;
      }
      if (this.closedWith) return subscriber.error(this.closedWith);
      this.receivers.push(subscriber);
      return () => remove(this.receivers, subscriber);
    });
  }

  close(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const s of this.senders.splice(0)) s.subscriber.error(err);
    for (const r of this.receivers.splice(0)) r.error(err);
  }

  private admitWaitingSender(): void {
    const next = this.senders.shift();
    if (!next) return;
    this.buffer.push(next.item);
    accept(next.subscriber);
  }
}

function accept(subscriber: Subscriber<void>): void {
  subscriber.next();
  subscriber.complete();
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
