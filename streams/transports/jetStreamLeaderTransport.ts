/**
 * JetStreamLeaderTransport: the leader's end of the JetStream transport
 * (from `JetStreamTransport.leader`). A LeaderTransport: `startLeader` runs
 * over it unchanged.
 *
 *   send$(peer, s) ─▶ JetStreamSendQueue ─▶ routeShipment ─▶ FencedPublisher ─▶ stream (shared log, or Tidal-For peer)
 *   sendStatus     ─▶ core NATS tidaldb.<shard>.status.<peer>   (lossy: dropped while disconnected)
 *   feedback()     ◀── core NATS tidaldb.<shard>.feedback.*     (a 'resend' also marks the log as sent to that peer)
 *
 * One session at a time (JetStreamLinkLifecycle): connect, create or check
 * the stream and read where it ends (openLeaderLink), then publish the
 * queued sends one by one. A lost connection, a publish timeout or a
 * refused request ends the session; the next starts after backoffDelayMs
 * and publishes the send in progress again (same message id: a duplicate
 * if it had landed). `Fenced` ends the end for good: every send errors with it.
 *
 *   link  : ──c──────X    ──c───────────F          (c: ready, X: lost, F: fenced)
 *   state : connecting, connected, disconnected, connected, fenced
 */
import { randomBytes } from 'node:crypto';
import type { Msg, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { concatMap, defer, EMPTY, firstValueFrom, from, ignoreElements, Observable, Subject, type Subscription, switchMap, tap } from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import type { FollowerFeedback, LeaderTransport, PeerId } from '../transport.js';
import { errorCode } from '../internal/errorCode.js';
import { epochOf } from './handshake.js';
import { HEADER_RESERVE_BYTES } from './jetStreamDefaults.js';
import type { ShipmentMessage } from './jetStreamHeaders.js';
import { type LeaderLink, openLeaderLink } from './jetStreamLeaderLink.js';
import { JetStreamLinkLifecycle, openedOrClosed } from './jetStreamLinkLifecycle.js';
import { decodeFeedback, encodeStatus } from './jetStreamMessages.js';
import { type JetStreamLeaderOptions, type JetStreamLinkState, type JetStreamTransportEvent, resolveLeaderOptions, type ResolvedJetStreamLeader } from './jetStreamOptions.js';
import { afterResendRequest, afterRouted, initialLogState, type LogState, reconciledLogEnd, type Route, routeShipment } from './jetStreamRoute.js';
import { JetStreamSendQueue, type QueuedSend } from './jetStreamSendQueue.js';
import { peerToken } from './jetStreamSubjects.js';
import { describeShipment, routedMessages } from './jetStreamRoutedMessages.js';

/** The leader's end of a JetStream transport (`JetStreamTransport.leader`); see the file comment and docs/jetstream.md. */
export class JetStreamLeaderTransport implements LeaderTransport {
  private readonly lifecycle: JetStreamLinkLifecycle;
  private readonly queue: JetStreamSendQueue;
  private readonly feedbackSubject = new Subject<FollowerFeedback>();
  /** Tells message ids of this end's one-follower publishes apart from any other end's, across restarts. */
  private readonly sessionNonce = randomBytes(6).toString('hex');
  private log: LogState = initialLogState(null);
  private link: LeaderLink | null = null;
  /** The send being published, and its publishing. */
  private publishing: { readonly entry: QueuedSend; readonly subscription: Subscription } | null = null;
  private nextUniq = 0;
  /** Set once closed or fenced: every send errors with it. */
  private stoppedWith: TidalError | null = null;

  /** Connections, losses, reconnect waits, fencing and refused feedback, with reasons. Hot; completes on close. */
  readonly events$: Observable<JetStreamTransportEvent>;
  /** How the link to NATS stands. Replays the latest; completes on close. */
  readonly state$: Observable<JetStreamLinkState>;

  private constructor(private readonly options: ResolvedJetStreamLeader) {
    this.queue = new JetStreamSendQueue(options.capacity);
    this.lifecycle = new JetStreamLinkLifecycle(options.db, options);
    this.events$ = this.lifecycle.events$;
    this.state$ = this.lifecycle.state$;
    this.lifecycle.start(() => this.session$());
  }

  /**
   * Starts connecting (and reconnecting, until `close()`); resolves once the
   * first session is ready or has failed in a way a retry may fix; rejects,
   * leaving nothing running, with `AuthFailed`, `ConfigMismatch` or `Fenced`
   * when the first attempt met one of those.
   */
  static async open(options: JetStreamLeaderOptions): Promise<JetStreamLeaderTransport> {
    const transport = new JetStreamLeaderTransport(resolveLeaderOptions(options));
    return openedOrClosed(transport, transport.lifecycle.firstSettled);
  }

  /** The stream this end publishes to. */
  get stream(): string {
    return this.options.names.stream;
  }

  /** The last seqno of the shared log as this end knows it (null: unknown yet). */
  get publishedThrough(): number | null {
    return this.log.publishedThrough;
  }

  sendSegment(peer: PeerId, segment: Shipment): Promise<void> {
    return firstValueFrom(this.send$(peer, segment));
  }

  /**
   * Completes once `segment` is on the stream for `peer`: published now, or
   * already in the shared log (see jetStreamRoute.ts). Waits while
   * disconnected or while the queue is full; errors with `InvalidInput` for
   * a shipment over maxShipmentBytes, `Fenced` once deposed, `Closed` after close.
   */
  send$(peer: PeerId, segment: Shipment): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.stoppedWith) return subscriber.error(this.stoppedWith);
      peerToken(peer); // InvalidInput for a peer id that cannot name a subject
      const max = this.options.maxShipmentBytes;
      if (segment.bytes.length > max) return subscriber.error(new TidalError('InvalidInput', `${describeShipment(segment)} is ${segment.bytes.length} bytes, more than maxShipmentBytes (${max})`));
      const entry = this.queue.add(peer, segment, subscriber);
      this.pump();
      return () => this.queue.withdraw(entry);
    });
  }

  feedback(): Observable<FollowerFeedback> {
    return this.feedbackSubject.asObservable();
  }

  sendStatus(peer: PeerId, status: LeaderStatus): void {
    // Lossy: while disconnected the next announcement supersedes this one.
    this.link?.nc.publish(this.options.names.status(peer), encodeStatus(status, epochOf(this.options.db)));
  }

  /** Stops reconnecting and publishing, closes the connection, errors every waiting send with `Closed`, completes the streams. */
  close(): Promise<void> {
    return this.stop(new TidalError('Closed', 'the JetStream transport is closed'), 'closed');
  }

  private stop(err: TidalError, state: 'closed' | 'fenced'): Promise<void> {
    this.stoppedWith ??= err;
    this.stopPublishing();
    this.queue.close(this.stoppedWith);
    this.feedbackSubject.complete();
    return this.lifecycle.close(state);
  }

  /** One session: see the file comment. Emits once ready (which resets the backoff); errors when it ends. */
  private session$(): Observable<void> {
    const { servers, nats: client, heartbeatMs, requestTimeoutMs: connectTimeoutMs } = this.options;
    return this.lifecycle.connections.connect$({ servers, client, heartbeatMs, connectTimeoutMs }).pipe(
      switchMap((nc) => defer(() => from(openLeaderLink(nc, this.options))).pipe(switchMap((link) => this.activate$(link)))),
      tap({
        error: (err: unknown) => {
          this.lifecycle.lost(err);
          if (errorCode(err) === 'Fenced') this.fence(err as TidalError);
        },
      }),
    );
  }

  /** The session while it lasts: feedback subscribed, sends published. */
  private activate$(link: LeaderLink): Observable<void> {
    return new Observable<void>((subscriber) => {
      const feedback: NatsSubscription = link.nc.subscribe(this.options.names.feedbackWildcard, {
        callback: (err, msg) => {
          if (!err) this.onFeedback(msg);
        },
      });
      this.log = { ...this.log, publishedThrough: reconciledLogEnd(this.log.publishedThrough, link.position, epochOf(this.options.db)) };
      this.link = link;
      this.lifecycle.connected(link.nc.getServer(), link.partBytes + HEADER_RESERVE_BYTES);
      subscriber.next();
      this.pump();
      return () => {
        feedback.unsubscribe();
        this.stopPublishing();
        if (this.link === link) this.link = null;
      };
    });
  }

  /** Deposed: every send, queued or later, errors with `err`; the end ships nothing more. */
  private fence(err: TidalError): void {
    if (this.stoppedWith) return;
    this.options.db.metrics.inc('replication.fenced');
    this.lifecycle.report({ kind: 'fenced', error: err });
    void this.stop(err, 'fenced');
  }

  /** Publishes the first queued send, if a session is ready and none is being published. */
  private pump(): void {
    const link = this.link;
    if (!link || this.publishing || this.stoppedWith) return;
    const entry = this.queue.take();
    if (!entry) return;
    const subscription = this.publish$(link, entry).subscribe({
      complete: () => {
        this.publishing = null;
        this.queue.done(entry);
        this.pump();
      },
      error: (err: unknown) => {
        this.publishing = null;
        this.queue.putBack(entry);
        if (errorCode(err) === 'Fenced') return this.fence(err as TidalError);
        void link.nc.close(); // the session ends; the next one publishes `entry` again
      },
    });
    if (!subscription.closed) this.publishing = { entry, subscription };
  }

  /** The session ended under a publish: it stops, and its send waits first in the queue for the next session. */
  private stopPublishing(): void {
    const publishing = this.publishing;
    this.publishing = null;
    if (!publishing) return;
    publishing.subscription.unsubscribe();
    this.queue.putBack(publishing.entry);
  }

  /** Routes `entry` and publishes what its route says; the log state moves only once the server has acked every part. */
  private publish$(link: LeaderLink, entry: QueuedSend): Observable<never> {
    return defer(() => {
      const route = routeShipment(this.log, entry.peer, entry.shipment);
      if (route.kind === 'in-log') {
        this.log = afterRouted(this.log, entry.peer, entry.shipment, route);
        return EMPTY;
      }
      const messages = this.messagesFor(link, entry, route);
      const { metrics } = this.options.db;
      return from(messages).pipe(
        concatMap((m) => defer(() => from(link.publisher.publish(m))).pipe(tap(() => metrics.inc('replication.streamBytes', m.data.length)))),
        tap({
          complete: () => {
            metrics.inc('replication.streamMessages', messages.length);
            if (route.kind === 'peer') metrics.inc('replication.streamResends');
            this.log = afterRouted(this.log, entry.peer, entry.shipment, route);
          },
        }),
        ignoreElements(),
      );
    });
  }

  private messagesFor(link: LeaderLink, entry: QueuedSend, route: Exclude<Route, { kind: 'in-log' }>): ShipmentMessage[] {
    if (route.kind !== 'log') entry.uniq ??= this.nextUniq++;
    return routedMessages({
      shardId: this.options.db.shardId, epoch: epochOf(this.options.db), publishedThrough: this.log.publishedThrough, route,
      shipment: entry.shipment, peer: entry.peer, sessionNonce: this.sessionNonce, uniq: entry.uniq ?? 0, partBytes: link.partBytes,
    });
  }

  private onFeedback(msg: Msg): void {
    const peer = this.options.names.peerOfFeedbackSubject(msg.subject);
    try {
      if (peer === null) throw new TidalError('InvalidInput', `feedback on ${JSON.stringify(msg.subject)}: the subject names no peer`);
      const feedback = decodeFeedback(peer, msg.data);
      if (feedback.kind === 'resend') this.log = afterResendRequest(this.log, peer);
      this.feedbackSubject.next(feedback);
    } catch (err) {
      this.options.db.metrics.inc('replication.feedbackRefused');
      this.lifecycle.report({ kind: 'refused', what: 'feedback', error: err as Error });
    }
  }
}
