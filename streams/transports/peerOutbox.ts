/**
 * PeerOutbox: the leader's bounded send queue for one follower, which
 * outlives that follower's connections.
 *
 * - `send$(segment)` completes once the segment's frame is written to the
 *   follower's socket and the socket's buffer is below its high-water mark
 *   (`socket.write` returned true, or the 'drain' after it came). One frame
 *   waits for a drain at a time.
 * - At most `capacity` segments are queued; more senders wait, in order.
 *   Nothing is dropped because the queue is full; unsubscribing a send that
 *   has not been written withdraws it.
 * - With no connection, sends wait. When a follower (re)connects it says
 *   where it stands (hello.appliedSeq): queued segments it already holds, or
 *   that would leave a gap after its mark, are released unwritten (their sends
 *   complete as if lost in transit); the hello's resend request has already
 *   rewound the shipper to the follower's mark. A frame written to a
 *   connection that is then lost completes the same way.
 *
 *   capacity 1, connected:  send a ─ written, completes     (buffer below the mark)
 *                           send b ─ written, waits for drain ─ completes
 *                           send c ─ queued ─ written after b's drain
 */
import { Observable, type Subscriber } from 'rxjs';
import { isCheckpoint, type Shipment, shipmentLastSeq } from '../shipment.js';
import type { FrameSink } from './frameConnectionOptions.js';

interface OutboxEntry {
  readonly segment: Shipment;
  readonly subscriber: Subscriber<void>;
}

/** The leader's bounded send queue for one follower: see the file comment. */
export class PeerOutbox {
  private admitted: OutboxEntry[] = [];
  private waiting: OutboxEntry[] = [];
  /** Written; its send completes at the next drain. */
  private inFlight: OutboxEntry | null = null;
  private sink: FrameSink | null = null;
  private closedWith: Error | null = null;
  private pumping = false;

  /**
   * @param capacity segments queued before senders wait, at least 1
   * @param encode the frame body for a segment (throws when it cannot be framed; that send errors); the connection frames and seals it
   */
  constructor(readonly capacity: number, private readonly encode: (segment: Shipment) => Uint8Array) {}

  /** Segments queued now, not yet written (at most `capacity`). */
  get queued(): number {
    return this.admitted.length;
  }

  /** Senders waiting for room in the queue. */
  get waitingSenders(): number {
    return this.waiting.length;
  }

  send$(segment: Shipment): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.closedWith) return subscriber.error(this.closedWith);
      const entry = { segment, subscriber };
      if (this.admitted.length < this.capacity) this.admitted.push(entry);
      else this.waiting.push(entry);
      this.pump();
      return () => this.withdraw(entry);
    });
  }

  /**
   * A connection for this follower, whose applied mark is `appliedSeq`: drop
   * what it cannot use, write the rest. Returns true when what stays queued
   * continues from the mark to the end of the queue (nothing lost in
   * between), so the follower will get everything queued without a re-send.
   */
  attach(sink: FrameSink, appliedSeq: number): boolean {
    if (this.closedWith) return false;
    this.sink = sink;
    if (this.inFlight) accept(this.inFlight);
    this.inFlight = null;
    const entries = [...this.admitted, ...this.waiting];
    const useful = continuesFrom(entries.map((e) => seqRange(e.segment)), appliedSeq);
    const kept = entries.filter((_, i) => useful[i]);
    this.admitted = kept.slice(0, this.capacity);
    this.waiting = kept.slice(this.capacity);
    for (const [i, e] of entries.entries()) if (!useful[i]) accept(e);
    this.pump();
    return useful.length > 0 && useful[useful.length - 1] === true;
  }

  /** `sink`'s connection is gone: a frame written to it counts as lost in transit. */
  detach(sink: FrameSink): void {
    if (this.sink !== sink) return;
    this.sink = null;
    const written = this.inFlight;
    this.inFlight = null;
    if (written) accept(written);
  }

  /** `sink`'s buffer drained below its high-water mark. */
  drained(sink: FrameSink): void {
    if (this.sink !== sink) return;
    const written = this.inFlight;
    this.inFlight = null;
    if (written) accept(written);
    this.pump();
  }

  /** Errors every queued, waiting and in-flight send with `err`; later sends error at once. */
  close(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    const all = [...(this.inFlight ? [this.inFlight] : []), ...this.admitted, ...this.waiting];
    this.inFlight = null;
    this.admitted = [];
    this.waiting = [];
    this.sink = null;
    for (const e of all) e.subscriber.error(err);
  }

  private pump(): void {
    if (this.pumping) return; // a completion re-entered send$: the outer loop goes on
    this.pumping = true;
    try {
      while (this.sink && !this.inFlight && !this.sink.needsDrain && this.admitted.length > 0) {
        const entry = this.admitted.shift()!;
        this.admitWaiting();
        this.write(this.sink, entry);
      }
    } finally {
      this.pumping = false;
    }
  }

  private write(sink: FrameSink, entry: OutboxEntry): void {
    let body: Uint8Array;
    try {
      body = this.encode(entry.segment);
    } catch (err) {
      entry.subscriber.error(err);
      return;
    }
    if (sink.sendBody(body)) accept(entry);
    else this.inFlight = entry;
  }

  private admitWaiting(): void {
    const next = this.waiting.shift();
    if (next) this.admitted.push(next);
  }

  private withdraw(entry: OutboxEntry): void {
    const i = this.admitted.indexOf(entry);
    if (i >= 0) {
      this.admitted.splice(i, 1);
      this.admitWaiting();
      return;
    }
    const j = this.waiting.indexOf(entry);
    if (j >= 0) this.waiting.splice(j, 1);
  }
}

/**
 * Which of `segments` (in send order) a follower at `appliedSeq` can apply
 * in turn: not those it already holds, and not those that would leave a gap.
 *
 * @example
 * continuesFrom([{ firstSeq: 1, lastSeq: 5 }, { firstSeq: 6, lastSeq: 9 }, { firstSeq: 12, lastSeq: 14 }], 5);
 * // → [false, true, false]: 1..5 is held, 6..9 continues, 12..14 would leave a gap after 9
 */
/** A shipment's seqno range; a checkpoint covers everything from the start, so it never leaves a gap. */
function seqRange(s: Shipment): { firstSeq: number; lastSeq: number } {
  return { firstSeq: isCheckpoint(s) ? 1 : s.firstSeq, lastSeq: shipmentLastSeq(s) };
}

export function continuesFrom(segments: readonly { readonly firstSeq: number; readonly lastSeq: number }[], appliedSeq: number): boolean[] {
  let mark = appliedSeq;
  return segments.map((s) => {
    if (s.lastSeq <= mark || s.firstSeq > mark + 1) return false;
    mark = s.lastSeq;
    return true;
  });
}

function accept(entry: OutboxEntry): void {
  entry.subscriber.next();
  entry.subscriber.complete();
}
