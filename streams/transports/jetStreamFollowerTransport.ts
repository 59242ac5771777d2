/**
 * JetStreamFollowerTransport: a follower's end of the JetStream transport
 * (from `JetStreamTransport.follower`). A FollowerTransport: `startFollower`
 * runs over it unchanged.
 *
 *   durable consumer ─▶ pull (at most the inbox's room) ─▶ headers ─▶ ShipmentAssembler ─▶ inbox (capacity) ─▶ receive$(peer)
 *                            not for this peer (Tidal-For) ─▶ acked, skipped
 *                            headers or parts that do not parse ─▶ terminated, refused (events$, rejections metric)
 *   sendFeedback(f) ─▶ core NATS tidaldb.<shard>.feedback.<peer> (lossy); acks every shipment handed out up to f.appliedSeq
 *   status(peer)    ◀── core NATS tidaldb.<shard>.status.<peer> (a leader of an older epoch than ours is ignored)
 *
 * Ack after apply: a shipment's messages are acked only when the follower's
 * feedback says it applied (durably, with a directory) through the
 * shipment's last seqno. The pipeline takes the next shipment only once it
 * is done with this one; one still unacked then was refused (corrupt, a gap,
 * fenced) and its messages are terminated: the copy on the stream will not
 * do, and the follower's re-send request brings another.
 *
 * One session at a time, like the leader's: connect, find or make the
 * consumer, pull. A lost connection ends it; the next starts after
 * backoffDelayMs. `state$` says 'disconnected' meanwhile, and the follower
 * database's gauge `replication.transportConnected` is 0.
 */
import { type Consumer, type ConsumerMessages, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import {
  BehaviorSubject, defer, firstValueFrom, from, ignoreElements, map, Observable, repeat, Subject, type Subscription, switchMap,
  take, tap,
} from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import { type Shipment, shipmentLastSeq } from '../shipment.js';
import type { FollowerFeedback, FollowerTransport, PeerId } from '../transport.js';
import { errorCode } from '../internal/errorCode.js';
import { BoundedChannel } from './boundedChannel.js';
import { epochOf } from './handshake.js';
import { ShipmentAssembler } from './jetStreamAssembler.js';
import { JetStreamConnections } from './jetStreamConnections.js';
import { ensureConsumer } from './jetStreamConsumer.js';
import { decodeShipmentHead, shipmentOf } from './jetStreamHeaders.js';
import { decodeStatus, encodeFeedback } from './jetStreamMessages.js';
import {
  type JetStreamFollowerOptions, type JetStreamLinkState, type JetStreamTransportEvent, resolveFollowerOptions, type ResolvedJetStreamFollower,
} from './jetStreamOptions.js';
import { reconnectWithBackoff } from './reconnectWithBackoff.js';

/** A whole shipment, and the stored messages it came in (acked or terminated together). */
interface Delivery {
  readonly shipment: Shipment;
  readonly messages: readonly JsMsg[];
}

/** One session's connection, pulling. */
interface FollowerLink {
  readonly nc: NatsConnection;
  readonly consumer: Consumer;
}

/** The JetStream ack protocol's bodies: processed, and processed but never to be delivered again. */
const ACK = '+ACK';
const TERM = '+TERM';

/**
 * A follower's end of a JetStream transport; create it with
 * `JetStreamTransport.follower`. See the file comment and docs/jetstream.md.
 */
export class JetStreamFollowerTransport implements FollowerTransport {
  private readonly connections = new JetStreamConnections();
  private readonly inbox: BoundedChannel<Delivery>;
  private readonly assembler: ShipmentAssembler<JsMsg>;
  private readonly statusSubject = new Subject<LeaderStatus>();
  private readonly eventsSubject = new Subject<JetStreamTransportEvent>();
  private readonly stateSubject = new BehaviorSubject<JetStreamLinkState>('connecting');
  /** Emits when the pipeline takes a shipment: there is room to pull again. */
  private readonly taken = new Subject<void>();
  private readonly loop: Subscription;
  /** Shipments the pipeline took and has not yet acked, oldest first. */
  private handed: Delivery[] = [];
  private link: FollowerLink | null = null;
  private closed = false;
  private settleFirst!: { resolve: () => void; reject: (err: Error) => void };
  private readonly firstSettled = new Promise<void>((resolve, reject) => (this.settleFirst = { resolve, reject }));

  /** Connections, losses, reconnect waits and refused messages, with reasons. Hot; completes on close. */
  readonly events$: Observable<JetStreamTransportEvent> = this.eventsSubject.asObservable();
  /** How the link to NATS stands. Replays the latest; completes on close. */
  readonly state$: Observable<JetStreamLinkState> = this.stateSubject.asObservable();
  /** True while connected and pulling. Replays the latest; completes on close. */
  readonly connected$: Observable<boolean> = this.state$.pipe(map((s) => s === 'connected'));

  private constructor(private readonly options: ResolvedJetStreamFollower) {
    this.inbox = new BoundedChannel<Delivery>(options.capacity);
    this.assembler = new ShipmentAssembler<JsMsg>(options.maxShipmentBytes);
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
   * first session is pulling or has failed in a way a retry may fix (NATS
   * down, the stream not made yet); rejects, leaving nothing running, with
   * `AuthFailed` or `ConfigMismatch` when the first attempt met one of those.
   */
  static async open(options: JetStreamFollowerOptions): Promise<JetStreamFollowerTransport> {
    const transport = new JetStreamFollowerTransport(resolveFollowerOptions(options));
    try {
      await transport.firstSettled;
    } catch (err) {
      await transport.close();
      throw err;
    }
    return transport;
  }

  /** This follower's peer id. */
  get peer(): PeerId {
    return this.options.peer;
  }

  /** Shipments buffered, not yet taken by `receive$`. */
  get buffered(): number {
    return this.inbox.size;
  }

  recvSegment(peer: PeerId): Promise<Shipment> {
    return firstValueFrom(this.receive$(peer));
  }

  /** Takes the next shipment; what was taken before and not acked by then was refused (see the file comment). */
  receive$(peer: PeerId): Observable<Shipment> {
    return defer(() => {
      this.checkPeer(peer, 'receive$');
      this.terminateUnacked();
      return this.inbox.receive$().pipe(
        tap((d) => {
          this.handed.push(d);
          this.taken.next();
        }),
        map((d) => d.shipment),
      );
    });
  }

  segments(peer: PeerId): Observable<Shipment> {
    return this.receive$(peer).pipe(repeat());
  }

  sendFeedback(feedback: FollowerFeedback): void {
    this.checkPeer(feedback.peer, 'sendFeedback');
    this.ackApplied(feedback.appliedSeq);
    this.link?.nc.publish(this.options.names.feedback(this.options.peer), encodeFeedback(feedback)); // lossy: the next heartbeat repairs it
  }

  status(peer: PeerId): Observable<LeaderStatus> {
    return defer(() => {
      this.checkPeer(peer, 'status');
      return this.statusSubject.asObservable();
    });
  }

  /** Stops reconnecting and pulling, closes the connection, errors every waiting receive with `Closed`, completes the streams. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loop.unsubscribe();
    this.settleFirst.resolve();
    this.inbox.close(new TidalError('Closed', 'the JetStream transport is closed'));
    await this.connections.closeAll();
    this.stateSubject.next('closed');
    this.stateSubject.complete();
    this.statusSubject.complete();
    this.eventsSubject.complete();
    this.taken.complete();
  }

  /** One session: emits once pulling (which resets the backoff); errors when it ends. */
  private session$(): Observable<void> {
    const { servers, nats: client, heartbeatMs, requestTimeoutMs: connectTimeoutMs } = this.options;
    return this.connections.connect$({ servers, client, heartbeatMs, connectTimeoutMs }).pipe(
      switchMap((nc) => defer(() => from(this.prepare(nc))).pipe(switchMap((link) => this.activate$(link)))),
      tap({ error: (err: unknown) => this.onSessionEnded(err) }),
    );
  }

  /** Finds or makes this follower's consumer. */
  private async prepare(nc: NatsConnection): Promise<FollowerLink> {
    const { names, peer, requestTimeoutMs: timeout, ackWaitMs, maxAckPending, db } = this.options;
    const jsm = await jetstreamManager(nc, { timeout }).catch((err: unknown) => {
      throw new TidalError('ConfigMismatch', `NATS at ${this.options.servers.join(', ')} has no JetStream (start nats-server with -js): ${(err as Error).message}`, { cause: err });
    });
    await ensureConsumer(jsm, names, peer, { ackWaitMs, maxAckPending }, db.lastSeq);
    const consumer = await jetstream(nc, { timeout }).consumers.get(names.stream, names.consumer(peer));
    return { nc, consumer };
  }

  /** The session while it lasts: status subscribed, the consumer pulled. */
  private activate$(link: FollowerLink): Observable<void> {
    return new Observable<void>((subscriber) => {
      const status: NatsSubscription = link.nc.subscribe(this.options.names.status(this.options.peer), {
        callback: (err, msg) => {
          if (!err) this.onStatus(msg);
        },
      });
      this.link = link;
      this.stateSubject.next('connected');
      this.eventsSubject.next({ kind: 'connected', server: link.nc.getServer(), maxPayloadBytes: link.nc.info?.max_payload ?? 0 });
      this.options.db.metrics.set('replication.transportConnected', 1);
      this.settleFirst.resolve();
      subscriber.next();
      const pulling = this.pull$(link.consumer).subscribe({ error: (err: unknown) => subscriber.error(err) });
      return () => {
        pulling.unsubscribe();
        status.unsubscribe();
        if (this.link === link) this.link = null;
      };
    });
  }

  /** Pulls while the inbox has room: one request at a time, for at most the room left; waits for a take when full. */
  private pull$(consumer: Consumer): Observable<never> {
    const { capacity, fetchExpiresMs } = this.options;
    return defer(() => {
      const room = capacity - this.inbox.size;
      if (room <= 0) return this.taken.pipe(take(1), ignoreElements());
      return fetched$(consumer, room, fetchExpiresMs).pipe(tap((m) => this.onStored(m)), ignoreElements());
    }).pipe(repeat());
  }

  /** One stored message: parsed, skipped when for another follower, assembled, and buffered once whole. */
  private onStored(m: JsMsg): void {
    const where = `stream message ${m.seq} of ${this.options.names.stream}`;
    let head;
    try {
      head = decodeShipmentHead((name) => m.headers?.get(name) || undefined, where);
    } catch (err) {
      return this.refuse([m], err as Error);
    }
    if (head.forPeer !== null && head.forPeer !== this.options.peer) return this.reply([m], ACK); // a re-send or bootstrap for another follower
    for (const step of this.assembler.accept(head, m.data, m, where)) {
      if (step.kind === 'dropped') this.refuse(step.tokens, step.error);
      else if (step.kind === 'complete') {
        // Room is certain: a pull asks for at most the inbox's room, and every shipment takes at least one message.
        this.inbox.send$({ shipment: shipmentOf(step.head, step.bytes), messages: step.tokens }).subscribe();
      }
    }
  }

  private refuse(messages: readonly JsMsg[], error: Error): void {
    this.reply(messages, TERM);
    this.options.db.metrics.inc(`replication.rejections.${errorCode(error)}`);
    this.eventsSubject.next({ kind: 'refused', what: 'shipment', error });
  }

  /** Acks every shipment handed out whose last seqno the follower has applied. */
  private ackApplied(appliedSeq: number): void {
    const done = this.handed.filter((d) => shipmentLastSeq(d.shipment) <= appliedSeq);
    if (done.length === 0) return;
    this.handed = this.handed.filter((d) => shipmentLastSeq(d.shipment) > appliedSeq);
    for (const d of done) this.reply(d.messages, ACK);
  }

  /** The pipeline moved on without acking these: refused; their stored copies will not do. */
  private terminateUnacked(): void {
    const refused = this.handed;
    this.handed = [];
    for (const d of refused) this.reply(d.messages, TERM);
  }

  /**
   * Acks or terminates through the current connection (an ack is a publish
   * to the message's reply subject, valid from any connection). While
   * disconnected it is lost: the server delivers the message again after
   * ackWaitMs, and the follower skips what it already has.
   */
  private reply(messages: readonly JsMsg[], body: typeof ACK | typeof TERM): void {
    const link = this.link;
    for (const m of messages) {
      const subject = (m as { reply?: unknown }).reply;
      if (!link || typeof subject !== 'string' || subject === '') {
        this.options.db.metrics.inc('replication.acksLost');
        continue;
      }
      link.nc.publish(subject, body);
    }
  }

  private onStatus(msg: Msg): void {
    try {
      const { status, epoch } = decodeStatus(msg.data);
      if (epoch >= epochOf(this.options.db)) this.statusSubject.next(status); // an older epoch's leader is deposed: not ours
    } catch (err) {
      this.eventsSubject.next({ kind: 'refused', what: 'status', error: err as Error });
    }
  }

  private onSessionEnded(err: unknown): void {
    this.link = null;
    this.options.db.metrics.set('replication.transportConnected', 0);
    if (this.closed) return;
    const error = err instanceof Error ? err : new TidalError('Closed', String(err));
    this.eventsSubject.next({ kind: 'closed', reason: error.message, error });
    const code = errorCode(error);
    if (code === 'AuthFailed' || code === 'ConfigMismatch') this.settleFirst.reject(error);
    else this.settleFirst.resolve();
    this.stateSubject.next('disconnected');
  }

  private checkPeer(peer: PeerId, method: string): void {
    if (peer !== this.options.peer) {
      throw new TidalError('InvalidInput', `${method}(${JSON.stringify(peer)}): this JetStream transport is follower ${JSON.stringify(this.options.peer)}`);
    }
  }
}

/**
 * One pull request as an Observable: at most `max` messages, waiting up to
 * `expiresMs` on the server; completes when the request is done, errors
 * when it fails (a lost connection, missed heartbeats). Unsubscribing stops it.
 */
function fetched$(consumer: Consumer, max: number, expiresMs: number): Observable<JsMsg> {
  return new Observable<JsMsg>((subscriber) => {
    let messages: ConsumerMessages | null = null;
    let stopped = false;
    consumer.fetch({ max_messages: max, expires: expiresMs }).then(async (fetched) => {
      messages = fetched;
      if (stopped) return fetched.stop();
      for await (const m of fetched) {
        if (stopped) break;
        subscriber.next(m);
      }
      subscriber.complete();
    }).catch((err: unknown) => subscriber.error(err));
    return () => {
      stopped = true;
      (messages as ConsumerMessages | null)?.stop();
    };
  });
}

