/**
 * JetStreamLeaderTransport: the leader's end of the JetStream transport
 * (from `JetStreamTransport.leader`). A LeaderTransport: `startLeader` runs
 * over it unchanged.
 *
 *   send$(peer, s) ─▶ JetStreamSendQueue ─▶ routeShipment ─▶ FencedPublisher ─▶ stream (shared log, or Tidal-For peer)
 *   sendStatus     ─▶ core NATS tidaldb.<shard>.status.<peer>   (lossy: dropped while disconnected)
 *   feedback()     ◀── core NATS tidaldb.<shard>.feedback.*     (a 'resend' also marks the log as sent to that peer)
 *
 * One session at a time: connect, create or check the stream, read where it
 * ends (its last message's epoch fences a deposed leader at once), then
 * publish the queued sends one by one. A lost connection, a publish timeout
 * or a refused request ends the session; the next one starts after
 * backoffDelayMs, and the send in progress is published again (same
 * message id: a duplicate if it had landed). `Fenced` ends the end for
 * good: every send errors with it.
 *
 *   link  : ──c──────X    ──c───────────F          (c: connected, X: lost, F: fenced)
 *   state : connecting, connected, disconnected, connected, fenced
 */
import { randomBytes } from 'node:crypto';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import {
  BehaviorSubject, concatMap, defer, EMPTY, firstValueFrom, from, ignoreElements, Observable, type Subscription, switchMap, tap, Subject,
} from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import { isCheckpoint, type Shipment, shipmentLastSeq } from '../shipment.js';
import type { FollowerFeedback, LeaderTransport, PeerId } from '../transport.js';
import { errorCode } from '../internal/errorCode.js';
import { epochOf } from './handshake.js';
import { JetStreamConnections } from './jetStreamConnections.js';
import { HEADER_RESERVE_BYTES, MIN_MAX_PAYLOAD_BYTES } from './jetStreamDefaults.js';
import { type ShipmentMessage, shipmentMessages } from './jetStreamHeaders.js';
import { decodeFeedback, encodeStatus } from './jetStreamMessages.js';
import {
  type JetStreamLeaderOptions, type JetStreamLinkState, type JetStreamTransportEvent, resolveLeaderOptions, type ResolvedJetStreamLeader,
} from './jetStreamOptions.js';
import { FencedPublisher, fenceVerdict } from './jetStreamPublisher.js';
import { afterResendRequest, afterRouted, initialLogState, type LogState, type Route, routeShipment } from './jetStreamRoute.js';
import { type QueuedSend, JetStreamSendQueue } from './jetStreamSendQueue.js';
import { ensureStream, type LogPosition, readLogPosition } from './jetStreamStream.js';
import { reconnectWithBackoff } from './reconnectWithBackoff.js';
import { peerToken } from './jetStreamSubjects.js';

/** One session's connection, ready to publish. */
interface LeaderLink {
  readonly nc: NatsConnection;
  readonly publisher: FencedPublisher;
  /** Data bytes a message may carry here: the server's max_payload less HEADER_RESERVE_BYTES. */
  readonly partBytes: number;
}

/**
 * The leader's end of a JetStream transport; create it with
 * `JetStreamTransport.leader`. See the file comment and docs/jetstream.md.
 */
export class JetStreamLeaderTransport implements LeaderTransport {
  private readonly connections = new JetStreamConnections();
  private readonly queue: JetStreamSendQueue;
  private readonly feedbackSubject = new Subject<FollowerFeedback>();
  private readonly eventsSubject = new Subject<JetStreamTransportEvent>();
  private readonly stateSubject = new BehaviorSubject<JetStreamLinkState>('connecting');
  private readonly loop: Subscription;
  /** Tells message ids of this end's one-follower publishes apart from any other end's, across restarts. */
  private readonly sessionNonce = randomBytes(6).toString('hex');
  private log: LogState = initialLogState(null);
  private link: LeaderLink | null = null;
  /** The send being published, and its publishing. */
  private publishing: { readonly entry: QueuedSend; readonly subscription: Subscription } | null = null;
  private nextUniq = 0;
  private stoppedWith: TidalError | null = null;
  private closing: Promise<void> | null = null;
  private settleFirst!: { resolve: () => void; reject: (err: Error) => void };
  private readonly firstSettled = new Promise<void>((resolve, reject) => (this.settleFirst = { resolve, reject }));

  /** Connections, losses, reconnect waits, fencing and refused feedback, with reasons. Hot; completes on close. */
  readonly events$: Observable<JetStreamTransportEvent> = this.eventsSubject.asObservable();
  /** How the link to NATS stands. Replays the latest; completes on close. */
  readonly state$: Observable<JetStreamLinkState> = this.stateSubject.asObservable();

  private constructor(private readonly options: ResolvedJetStreamLeader) {
    this.queue = new JetStreamSendQueue(options.capacity);
    const { random, scheduler, reconnectBaseMs: baseMs, reconnectCapMs: capMs } = options;
    this.loop = reconnectWithBackoff(() => this.session$(), {
      random, scheduler, baseMs, capMs,
      onRetry: (attempt, delayMs) => {
        options.db.metrics.inc('replication.reconnects');
        this.eventsSubject.next({ kind: 'reconnecting', attempt, delayMs });
      },
    }).subscribe();
  }

  /**
   * Starts connecting (and reconnecting, until `close()`); resolves once the
   * first session is ready or has failed in a way a retry may fix; rejects,
   * leaving nothing running, with `AuthFailed`, `ConfigMismatch` or `Fenced`
   * when the first attempt met one of those.
   */
  static async open(options: JetStreamLeaderOptions): Promise<JetStreamLeaderTransport> {
    const transport = new JetStreamLeaderTransport(resolveLeaderOptions(options));
    try {
      await transport.firstSettled;
    } catch (err) {
      await transport.close();
      throw err;
    }
    return transport;
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
      const { maxShipmentBytes } = this.options;
      if (segment.bytes.length > maxShipmentBytes) {
        return subscriber.error(new TidalError('InvalidInput', `${describe(segment)} is ${segment.bytes.length} bytes, more than maxShipmentBytes (${maxShipmentBytes})`));
      }
      const entry = this.queue.add(peer, segment, subscriber);
      this.pump();
      return () => this.queue.withdraw(entry);
    });
  }

  feedback(): Observable<FollowerFeedback> {
    return this.feedbackSubject.asObservable();
  }

  sendStatus(peer: PeerId, status: LeaderStatus): void {
    const link = this.link;
    if (!link) return; // lossy: the next announcement supersedes it
    link.nc.publish(this.options.names.status(peer), encodeStatus(status, epochOf(this.options.db)));
  }

  /** Stops reconnecting and publishing, closes the connection, errors every waiting send with `Closed`, completes the streams. */
  close(): Promise<void> {
    this.closing ??= this.shutDown(new TidalError('Closed', 'the JetStream transport is closed'), 'closed');
    return this.closing;
  }

  private async shutDown(err: TidalError, state: JetStreamLinkState): Promise<void> {
    this.stoppedWith ??= err;
    this.loop.unsubscribe();
    this.stopPublishing();
    this.queue.close(this.stoppedWith);
    this.settleFirst.resolve();
    await this.connections.closeAll();
    if (this.stateSubject.value !== 'fenced') this.stateSubject.next(state);
    this.stateSubject.complete();
    this.feedbackSubject.complete();
    this.eventsSubject.complete();
  }

  /** One session: see the file comment. Emits once ready (which resets the backoff); errors when it ends. */
  private session$(): Observable<void> {
    const { servers, nats: client, heartbeatMs, requestTimeoutMs: connectTimeoutMs } = this.options;
    return this.connections.connect$({ servers, client, heartbeatMs, connectTimeoutMs }).pipe(
      switchMap((nc) => defer(() => from(this.prepare(nc))).pipe(switchMap((link) => this.activate$(link)))),
      tap({ error: (err: unknown) => this.onSessionEnded(err) }),
    );
  }

  /** Checks the server and the stream, and reads where the log ends. */
  private async prepare(nc: NatsConnection): Promise<LeaderLink> {
    const { names, limits, requestTimeoutMs: timeout, db } = this.options;
    const maxPayload = nc.info?.max_payload ?? 0;
    if (maxPayload < MIN_MAX_PAYLOAD_BYTES) {
      throw new TidalError('ConfigMismatch', `NATS max_payload is ${maxPayload} bytes; the JetStream transport needs at least ${MIN_MAX_PAYLOAD_BYTES}`);
    }
    const jsm: JetStreamManager = await jetstreamManager(nc, { timeout }).catch((err: unknown) => {
      throw new TidalError('ConfigMismatch', `NATS at ${this.options.servers.join(', ')} has no JetStream (start nats-server with -js): ${(err as Error).message}`, { cause: err });
    });
    await ensureStream(jsm, names, limits);
    const position = await readLogPosition(jsm, names);
    const verdict = fenceVerdict(epochOf(db), position.lastEpoch, names.stream);
    if (verdict !== 'adopt' && position.lastEpoch !== epochOf(db)) throw verdict; // a newer epoch's shipment: deposed
    this.log = { ...this.log, publishedThrough: reconciledLogEnd(this.log.publishedThrough, position, epochOf(db)) };
    const publisher = new FencedPublisher(jetstream(nc, { timeout }), jsm, names, position, () => epochOf(db), timeout);
    return { nc, publisher, partBytes: maxPayload - HEADER_RESERVE_BYTES };
  }

  /** The session while it lasts: feedback subscribed, sends published. */
  private activate$(link: LeaderLink): Observable<void> {
    return new Observable<void>((subscriber) => {
      const feedback: NatsSubscription = link.nc.subscribe(this.options.names.feedbackWildcard, {
        callback: (err, msg) => {
          if (!err) this.onFeedback(msg);
        },
      });
      this.link = link;
      this.stateSubject.next('connected');
      this.eventsSubject.next({ kind: 'connected', server: link.nc.getServer(), maxPayloadBytes: link.partBytes + HEADER_RESERVE_BYTES });
      this.options.db.metrics.set('replication.transportConnected', 1);
      this.settleFirst.resolve();
      subscriber.next();
      this.pump();
      return () => {
        feedback.unsubscribe();
        this.stopPublishing();
        if (this.link === link) this.link = null;
      };
    });
  }

  private onSessionEnded(err: unknown): void {
    this.link = null;
    this.options.db.metrics.set('replication.transportConnected', 0);
    const error = err instanceof Error ? err : new TidalError('Closed', String(err));
    if (this.stoppedWith) return;
    this.eventsSubject.next({ kind: 'closed', reason: error.message, error });
    if (errorCode(error) === 'Fenced') return void this.fence(error as TidalError);
    const code = errorCode(error);
    if (code === 'AuthFailed' || code === 'ConfigMismatch') this.settleFirst.reject(error);
    else this.settleFirst.resolve();
    this.stateSubject.next('disconnected');
  }

  /** Deposed: every send, queued or later, errors with `err`; the end ships nothing more. */
  private fence(err: TidalError): void {
    this.options.db.metrics.inc('replication.fenced');
    this.eventsSubject.next({ kind: 'fenced', error: err });
    this.settleFirst.reject(err);
    this.stateSubject.next('fenced');
    this.closing ??= this.shutDown(err, 'fenced');
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
        if (errorCode(err) === 'Fenced') return void this.fence(err as TidalError);
        void link.nc.close(); // the session ends (onSessionEnded); the next one publishes `entry` again
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
    const { db } = this.options;
    const s = entry.shipment;
    const epoch = epochOf(db);
    const before = this.log.publishedThrough ?? 0;
    const shard = db.shardId;
    if (route.kind === 'log') {
      const after = Math.max(before, shipmentLastSeq(s));
      return shipmentMessages(s, { msgId: `${shard}:${epoch}:${route.firstNewSeq}`, epoch, forPeer: null, publishedThrough: { before, after }, partBytes: link.partBytes });
    }
    entry.uniq ??= this.nextUniq++;
    const what = isCheckpoint(s) ? `checkpoint-${s.seq}` : String(s.firstSeq);
    const msgId = `${shard}:${epoch}:${what}:${peerToken(entry.peer)}:${this.sessionNonce}.${entry.uniq}`;
    return shipmentMessages(s, { msgId, epoch, forPeer: entry.peer, publishedThrough: { before, after: before }, partBytes: link.partBytes });
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
      this.eventsSubject.next({ kind: 'refused', what: 'feedback', error: err as Error });
    }
  }
}

/**
 * The log's end for a new session: what the stream's last message says when
 * it is of this epoch; unknown for an empty stream; else what this end knew
 * (a message of another epoch or application says nothing about our log).
 */
export function reconciledLogEnd(known: number | null, position: LogPosition, epoch: number): number | null {
  if (position.lastEpoch === epoch) return position.publishedThrough;
  if (position.lastStreamSeq === 0) return null;
  return known;
}

function describe(s: Shipment): string {
  return isCheckpoint(s) ? `checkpoint at seqno ${s.seq}` : `segment ${s.segmentId} (seqnos ${s.firstSeq}..${s.lastSeq})`;
}
