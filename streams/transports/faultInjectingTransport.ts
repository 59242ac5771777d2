/**
 * FaultInjectingTransport: wraps a transport and does to segments what a bad
 * network does — drop, duplicate, reorder, flip bits — on a plan you give
 * it, so replication can be tested against each fault on purpose.
 * Feedback and status pass through untouched (they are repaired by
 * heartbeats anyway).
 *
 * It wraps a leader's end and offers what its inner transport offers: around
 * a `Transport` (both ends, e.g. an InProcessTransport) it is a `Transport`
 * whose follower methods pass through; around a leader end alone (a TCP
 * listener) it is a LeaderTransport.
 *
 * @example
 * const rng = seededRandom(42);
 * const faulty = new FaultInjectingTransport(new InProcessTransport(), {
 *   plan: () => (rng() < 0.1 ? 'drop' : 'pass'),
 * });
 * startLeader({ db, transport: faulty, followers: ['f1'] });
 * startFollower({ db: replica, transport: faulty, peer: 'f1' });
 */
import { concat, defer, EMPTY, firstValueFrom, Observable } from 'rxjs';
import type { LeaderStatus } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import type { FollowerFeedback, FollowerTransport, LeaderTransport, PeerId, Transport } from '../transport.js';

/** What to do with one segment. */
export type Fault =
  | 'pass'
  /** Lost: the sender believes it was delivered. */
  | 'drop'
  /** Delivered twice. */
  | 'duplicate'
  /** Held back and delivered after the next segment for the same peer. */
  | 'reorder'
  /** One bit flipped at a chosen byte (the bytes are copied; the leader's stay intact). */
  | { readonly corruptAt: number };

/** What a fault plan is told about each segment it decides on. */
export interface FaultPlanContext {
  readonly peer: PeerId;
  readonly segment: Shipment;
  /** How many segments this transport has been asked to send so far (all peers). */
  readonly sent: number;
}

/** Options of {@link FaultInjectingTransport}: the plan that picks a fault for each segment. */
export interface FaultInjectingOptions {
  /** Decides each segment's fate. */
  readonly plan: (ctx: FaultPlanContext) => Fault;
}

/** Counts of what was done, for assertions. */
export interface FaultCounts {
  pass: number;
  drop: number;
  duplicate: number;
  reorder: number;
  corrupt: number;
}

/** The fault-injecting leader end; see FaultInjectingTransport for the type that adds the follower end. */
export class FaultInjectingLeader implements LeaderTransport {
  readonly counts: FaultCounts = { pass: 0, drop: 0, duplicate: 0, reorder: 0, corrupt: 0 };
  private readonly held = new Map<PeerId, Shipment>();
  private sent = 0;

  constructor(private readonly inner: LeaderTransport, private readonly options: FaultInjectingOptions) {
    if (isFollowerTransport(inner)) Object.assign(this, followerEndOf(inner));
  }

  send$(peer: PeerId, segment: Shipment): Observable<void> {
    return defer(() => {
      const fault = this.options.plan({ peer, segment, sent: this.sent++ });
      const held = this.held.get(peer);
      this.held.delete(peer);
      const release$ = held ? this.inner.send$(peer, held) : EMPTY;
      if (fault === 'drop') {
        this.counts.drop++;
        return release$.pipe(last$());
      }
      if (fault === 'reorder') {
        this.counts.reorder++;
        this.held.set(peer, segment);
        return release$.pipe(last$());
      }
      if (fault === 'duplicate') {
        this.counts.duplicate++;
        return concat(this.inner.send$(peer, segment), this.inner.send$(peer, segment), release$).pipe(last$());
      }
      if (typeof fault === 'object') {
        this.counts.corrupt++;
        return concat(this.inner.send$(peer, flipBit(segment, fault.corruptAt)), release$).pipe(last$());
      }
      this.counts.pass++;
      return concat(this.inner.send$(peer, segment), release$).pipe(last$());
    });
  }

  sendSegment(peer: PeerId, segment: Shipment): Promise<void> {
    return firstValueFrom(this.send$(peer, segment));
  }

  feedback(): Observable<FollowerFeedback> {
    return this.inner.feedback();
  }

  sendStatus(peer: PeerId, status: LeaderStatus): void {
    this.inner.sendStatus(peer, status);
  }
}

/**
 * A FaultInjectingTransport around `Inner`: the faulty leader end, plus
 * `Inner`'s follower end when it has one (so around a `Transport` it is a
 * `Transport`).
 */
export type FaultInjectingTransport<Inner extends LeaderTransport = Transport> =
  FaultInjectingLeader & (Inner extends FollowerTransport ? FollowerTransport : unknown);

/**
 * A transport that wraps another and, for testing, drops, duplicates, reorders or bit-flips the
 * segments it sends as `options.plan` says. `instanceof FaultInjectingTransport` holds for every one.
 *
 * @example
 * ```ts
 * const faulty = new FaultInjectingTransport(new InProcessTransport({ capacity: 16 }), {
 *   plan: ({ sent }) => (sent === 3 ? 'drop' : 'pass'), // lose the fourth segment sent
 * });
 * ```
 */
export const FaultInjectingTransport = FaultInjectingLeader as {
  /** Wraps `inner`; `options.plan` picks a fault, or none, for each segment sent. */
  new <Inner extends LeaderTransport>(inner: Inner, options: FaultInjectingOptions): FaultInjectingTransport<Inner>;
};

function isFollowerTransport(t: LeaderTransport): t is Transport {
  const f = t as Partial<FollowerTransport>;
  return typeof f.receive$ === 'function' && typeof f.status === 'function' && typeof f.sendFeedback === 'function';
}

/** `inner`'s follower end, passed through untouched. */
function followerEndOf(inner: FollowerTransport): FollowerTransport {
  return {
    recvSegment: (peer) => inner.recvSegment(peer),
    receive$: (peer) => inner.receive$(peer),
    segments: (peer) => inner.segments(peer),
    sendFeedback: (feedback) => inner.sendFeedback(feedback),
    status: (peer) => inner.status(peer),
  };
}

/** A copy of `segment` with one bit flipped at byte `at` (modulo its length). */
export function flipBit<S extends Shipment>(segment: S, at: number): S {
  const bytes = Uint8Array.from(segment.bytes);
  const i = ((at % bytes.length) + bytes.length) % bytes.length;
  bytes[i] = bytes[i]! ^ (1 << (at & 7));
  return { ...segment, bytes };
}

/** Emits one `void` when the source completes (the sends all accepted). */
function last$() {
  return (source: Observable<void>): Observable<void> => new Observable<void>((s) =>
    source.subscribe({ error: (e) => s.error(e), complete: () => { s.next(); s.complete(); } }));
}
