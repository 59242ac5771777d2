/**
 * WorkerTransport: the leader's end (a LeaderTransport) of the channels to replica workers
 * (worker_threads), Subject-backed like the in-process transport. Each
 * follower peer is one MessagePort (`attach(peer, port)`); the follower's
 * end, in the worker, is a {@link WorkerTransportFollower} on the other
 * port of the same MessageChannel. `startReplicaWorker` does the attaching.
 *
 * - Segments: at most `capacity` per peer are in flight (posted, not yet
 *   taken by the worker; see CreditWindow); a send past that waits. Their
 *   bytes are transferred, not cloned (see workerTransportMessages).
 * - Feedback from every attached worker is one hot stream. The first
 *   feedback after an attach counts as a re-send request from the worker's
 *   mark, as a TCP follower's hello does: whatever was in flight to a
 *   worker that died is gone with it.
 * - A peer whose worker died is detached: sends to it fail with the reason
 *   (a typed error naming the worker), so the leader's pipeline reports it
 *   on `rejected$` and goes on, until a new worker attaches under that peer.
 * - `followers$`: the peers attached, or detached but not stopped (a crashed
 *   worker stays, so retention keeps what it needs to resume). Pass it as
 *   startLeader's `followers`, or list the peers yourself.
 *
 * @example
 * const workers = new WorkerTransport({ capacity: 16 });
 * const leader = startLeader({ db, transport: workers, followers: workers.followers$ });
 * const replica = await startReplicaWorker({ leader: workers, peer: 'r1' });
 */
import { BehaviorSubject, defer, distinctUntilChanged, firstValueFrom, type Observable, Subject, throwError } from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import type { FollowerFeedback, LeaderTransport, PeerId } from '../transport.js';
import { encodeShipment, isMessage, type ToFollower, type ToLeader, type WorkerPort } from './workerTransportMessages.js';
import { CreditWindow } from './workerTransportWindow.js';
import { DEFAULT_WORKER_CAPACITY } from '../defaults.js';

/** Options of {@link WorkerTransport}. */
export interface WorkerTransportOptions {
  /** Segments in flight per worker before sends wait. Default 16. */
  capacity?: number;
}

/** One worker's hold on a peer id; superseded by the next attach of that peer. */
export interface WorkerAttachment {
  readonly peer: PeerId;
  /** The worker is gone (crashed, terminated): waiting and later sends fail with `reason`. The peer stays in followers$. */
  detach(reason: Error): void;
  /** The worker was stopped: detached, and the peer leaves followers$. */
  leave(): void;
}

interface Link {
  readonly port: WorkerPort;
  readonly window: CreditWindow;
  readonly listener: (message: unknown) => void;
  /** The next feedback is the first from this worker. */
  fresh: boolean;
}

const TO_LEADER = new Set(['credit', 'feedback']);

export class WorkerTransport implements LeaderTransport {
  readonly capacity: number;
  /** Attached peers. */
  private readonly links = new Map<PeerId, Link>();
  /** The latest attachment of each peer in followers$, attached or not. */
  private readonly latest = new Map<PeerId, Link>();
  /** Why a peer has no link now (detached); a peer never attached has no entry. */
  private readonly detached = new Map<PeerId, Error>();
  private readonly members = new BehaviorSubject<readonly PeerId[]>([]);
  private readonly feedbackSubject = new Subject<FollowerFeedback>();
  private closedWith: TidalError | null = null;

  /** The peers of workers attached or crashed, not stopped; replays the latest. Completes on close(). */
  readonly followers$: Observable<readonly PeerId[]> = this.members.pipe(distinctUntilChanged());

  constructor(options: WorkerTransportOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_WORKER_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TidalError('InvalidInput', `capacity must be an integer >= 1, got ${String(capacity)}`);
    }
    this.capacity = capacity;
  }

  /**
   * Connects `peer` to the worker on the other end of `port`. Fails with
   * `PeerInUse` while another worker is attached as `peer`, `Closed` after close().
   */
  attach(peer: PeerId, port: WorkerPort): WorkerAttachment {
    if (this.closedWith) throw this.closedWith;
    if (typeof peer !== 'string' || peer.length === 0) throw new TidalError('InvalidInput', `peer must be a non-empty string, got ${JSON.stringify(peer)}`);
    if (this.links.has(peer)) throw new TidalError('PeerInUse', `a replica worker is already attached as peer ${JSON.stringify(peer)}: stop it first`);
    const link: Link = { port, window: new CreditWindow(this.capacity), listener: (m) => this.onMessage(peer, link, m), fresh: true };
    port.on('message', link.listener);
    this.links.set(peer, link);
    this.detached.delete(peer);
    if (!this.members.value.includes(peer)) this.members.next([...this.members.value, peer]);
    this.latest.set(peer, link);
    return {
      peer,
      detach: (reason) => {
        if (this.links.get(peer) === link) this.unlink(peer, link, reason);
      },
      leave: () => {
        if (this.latest.get(peer) !== link) return; // a newer worker holds the peer now
        if (this.links.get(peer) === link) this.unlink(peer, link, new TidalError('Closed', `the replica worker for peer ${JSON.stringify(peer)} was stopped`));
        this.latest.delete(peer);
        this.detached.delete(peer);
        if (!this.closedWith) this.members.next(this.members.value.filter((p) => p !== peer));
      },
    };
  }

  sendSegment(peer: PeerId, segment: Shipment): Promise<void> {
    return firstValueFrom(this.send$(peer, segment));
  }

  /** Cold: posts `segment` to `peer`'s worker once it has credit; errors if no worker is attached as `peer`. */
  send$(peer: PeerId, segment: Shipment): Observable<void> {
    return defer(() => {
      if (this.closedWith) return throwError(() => this.closedWith);
      const link = this.links.get(peer);
      if (!link) return throwError(() => this.detached.get(peer) ?? notAttached(peer));
      return link.window.send$(() => {
        const { message, transfer } = encodeShipment(segment);
        link.port.postMessage(message, transfer);
      });
    });
  }

  feedback(): Observable<FollowerFeedback> {
    return this.feedbackSubject.asObservable();
  }

  /** Lossy: dropped when no worker is attached as `peer`. */
  sendStatus(peer: PeerId, status: LeaderStatus): void {
    const link = this.links.get(peer);
    if (link && !this.closedWith) link.port.postMessage({ t: 'status', status } satisfies ToFollower);
  }

  /** Segments posted to `peer`'s worker and not yet taken by it. */
  inFlight(peer: PeerId): number {
    return this.links.get(peer)?.window.inFlight ?? 0;
  }

  /** Errors every waiting send with `Closed`, stops listening to every port and completes the hot streams. The ports are their owners' to close. */
  close(): void {
    if (this.closedWith) return;
    this.closedWith = new TidalError('Closed', 'the worker transport is closed');
    for (const [peer, link] of [...this.links]) this.unlink(peer, link, this.closedWith);
    this.feedbackSubject.complete();
    this.members.complete();
  }

  private onMessage(peer: PeerId, link: Link, message: unknown): void {
    if (!isMessage<ToLeader>(message, TO_LEADER)) {
      this.unlink(peer, link, new TidalError('Failed', `replica worker ${JSON.stringify(peer)} sent a message that is not part of the worker transport: ${describe(message)}`));
      return;
    }
    if (message.t === 'credit') {
      if (!link.window.grant(message.n)) {
        this.unlink(peer, link, new TidalError('Failed', `replica worker ${JSON.stringify(peer)} returned ${message.n} credits with ${link.window.inFlight} segments in flight`));
      }
      return;
    }
    const problem = feedbackProblem(message.feedback);
    if (problem) {
      this.unlink(peer, link, new TidalError('Failed', `replica worker ${JSON.stringify(peer)} sent feedback whose ${problem}`));
      return;
    }
    const kind = link.fresh ? 'resend' : message.feedback.kind;
    link.fresh = false;
    // The port is the worker's identity: it speaks for its own peer only.
    this.feedbackSubject.next({ ...message.feedback, peer, kind });
  }

  private unlink(peer: PeerId, link: Link, reason: Error): void {
    link.port.off('message', link.listener);
    link.window.close(reason);
    this.links.delete(peer);
    if (!this.closedWith) this.detached.set(peer, reason);
  }

}

function notAttached(peer: PeerId): TidalError {
  return new TidalError('Closed', `no replica worker is attached as peer ${JSON.stringify(peer)}`);
}

function describe(message: unknown): string {
  try {
    return JSON.stringify(message)?.slice(0, 100) ?? String(message);
  } catch {
    return typeof message;
  }
}

/** What is wrong with a worker's feedback marks (each a count; durableSeq, when there, no lower than appliedSeq); null when nothing. */
function feedbackProblem(f: FollowerFeedback): string | null {
  const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  if (typeof f !== 'object' || f === null) return 'body is not an object';
  if (!isCount(f.appliedSeq) || !isCount(f.receivedSeq)) return `appliedSeq ${String(f.appliedSeq)} or receivedSeq ${String(f.receivedSeq)} is not a count`;
  if (f.durableSeq === undefined) return null;
  if (!isCount(f.durableSeq)) return `durableSeq ${String(f.durableSeq)} is not a count`;
  return f.durableSeq < f.appliedSeq ? `durableSeq ${f.durableSeq} is below appliedSeq ${f.appliedSeq}` : null;
}
