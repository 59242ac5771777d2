/**
 * JetStreamFollowerTransport: a follower's end of the JetStream transport
 * (from `JetStreamTransport.follower`). A FollowerTransport: `startFollower`
 * runs over it unchanged.
 *
 *   durable consumer ─▶ pull (at most the inbox's room) ─▶ headers ─▶ ShipmentAssembler ─▶ inbox (capacity) ─▶ receive$(peer)
 *                            not for this peer (Tidal-For) ─▶ acked, skipped
 *                            headers or parts that do not parse ─▶ terminated, refused (events$, rejections metric)
 *   sendFeedback(f) ─▶ core NATS tidaldb.<shard>.feedback.<peer> (lossy); acks what it says is applied
 *   status(peer)    ◀── core NATS tidaldb.<shard>.status.<peer> (a leader of an older epoch than ours is ignored)
 *
 * Ack after apply: a shipment's messages are acked only once the follower's
 * feedback says it applied (durably, with a directory) through the
 * shipment's last seqno; one the pipeline moved on from without that was
 * refused (corrupt, a gap, fenced), and its messages are terminated: the
 * copy on the stream will not do, and the re-send request brings another
 * (HandedShipments).
 *
 * One session at a time (JetStreamLinkLifecycle): connect, find or make the
 * consumer (openFollowerLink), pull. A lost connection ends it; the next
 * starts after backoffDelayMs. `state$` says 'disconnected' meanwhile, and
 * the follower database's gauge `replication.transportConnected` is 0.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { Msg, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { defer, firstValueFrom, from, ignoreElements, map, Observable, repeat, Subject, switchMap, take, tap } from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import type { FollowerFeedback, FollowerTransport, PeerId } from '../transport.js';
import { errorCode } from '../internal/errorCode.js';
import { BoundedChannel } from './boundedChannel.js';
import { epochOf } from './handshake.js';
import { ShipmentAssembler } from './jetStreamAssembler.js';
import { fetched$, type FollowerLink, openFollowerLink } from './jetStreamFollowerLink.js';
import { type Delivery, HandedShipments } from './jetStreamHandedShipments.js';
import { decodeShipmentHead, shipmentOf } from './jetStreamHeaders.js';
import { JetStreamLinkLifecycle, openedOrClosed } from './jetStreamLinkLifecycle.js';
import { decodeStatus, encodeFeedback } from './jetStreamMessages.js';
import {
  type JetStreamFollowerOptions, type JetStreamLinkState, type JetStreamTransportEvent, resolveFollowerOptions, type ResolvedJetStreamFollower,
} from './jetStreamOptions.js';

/** The JetStream ack protocol's bodies: processed, and processed but never to be delivered again. */
const ACK = '+ACK';
const TERM = '+TERM';

/**
 * A follower's end of a JetStream transport; create it with
 * `JetStreamTransport.follower`. See the file comment and docs/jetstream.md.
 */
export class JetStreamFollowerTransport implements FollowerTransport {
  private readonly lifecycle: JetStreamLinkLifecycle;
  private readonly inbox: BoundedChannel<Delivery<JsMsg>>;
  private readonly assembler: ShipmentAssembler<JsMsg>;
  private readonly handed = new HandedShipments<JsMsg>();
  private readonly statusSubject = new Subject<LeaderStatus>();
  /** Emits when the pipeline takes a shipment: there is room to pull again. */
  private readonly taken = new Subject<void>();
  private link: FollowerLink | null = null;
  private closed = false;

  /** Connections, losses, reconnect waits and refused messages, with reasons. Hot; completes on close. */
  readonly events$: Observable<JetStreamTransportEvent>;
  /** How the link to NATS stands. Replays the latest; completes on close. */
  readonly state$: Observable<JetStreamLinkState>;
  /** True while connected and pulling. Replays the latest; completes on close. */
  readonly connected$: Observable<boolean>;

  private constructor(private readonly options: ResolvedJetStreamFollower) {
    this.inbox = new BoundedChannel<Delivery<JsMsg>>(options.capacity);
    this.assembler = new ShipmentAssembler<JsMsg>(options.maxShipmentBytes);
    this.lifecycle = new JetStreamLinkLifecycle(options.db, options);
    this.events$ = this.lifecycle.events$;
    this.state$ = this.lifecycle.state$;
    this.connected$ = this.state$.pipe(map((s) => s === 'connected'));
    this.lifecycle.start(() => this.session$());
  }

  /**
   * Starts connecting (and reconnecting, until `close()`); resolves once the
   * first session is pulling or has failed in a way a retry may fix (NATS
   * down, the stream not made yet); rejects, leaving nothing running, with
   * `AuthFailed` or `ConfigMismatch` when the first attempt met one of those.
   */
  static async open(options: JetStreamFollowerOptions): Promise<JetStreamFollowerTransport> {
    const transport = new JetStreamFollowerTransport(resolveFollowerOptions(options));
    return openedOrClosed(transport, transport.lifecycle.firstSettled);
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
      this.reply(this.handed.movedOn(), TERM);
      return this.inbox.receive$().pipe(
        tap((d) => {
          this.handed.take(d);
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
    this.reply(this.handed.applied(feedback.appliedSeq), ACK);
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
    if (this.closed) return this.lifecycle.close();
    this.closed = true;
    this.inbox.close(new TidalError('Closed', 'the JetStream transport is closed'));
    this.statusSubject.complete();
    this.taken.complete();
    await this.lifecycle.close();
  }

  /** One session: emits once pulling (which resets the backoff); errors when it ends. */
  private session$(): Observable<void> {
    const { servers, nats: client, heartbeatMs, requestTimeoutMs: connectTimeoutMs } = this.options;
    return this.lifecycle.connections.connect$({ servers, client, heartbeatMs, connectTimeoutMs }).pipe(
      switchMap((nc) => defer(() => from(openFollowerLink(nc, this.options))).pipe(switchMap((link) => this.activate$(link)))),
      tap({ error: (err: unknown) => this.lifecycle.lost(err) }),
    );
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
      this.lifecycle.connected(link.nc.getServer(), link.nc.info?.max_payload ?? 0);
      subscriber.next();
      const pulling = this.pull$(link).subscribe({ error: (err: unknown) => subscriber.error(err) });
      return () => {
        pulling.unsubscribe();
        status.unsubscribe();
        if (this.link === link) this.link = null;
      };
    });
  }

  /** Pulls while the inbox has room: one request at a time, for at most the room left; waits for a take when full. */
  private pull$(link: FollowerLink): Observable<never> {
    const { capacity, fetchExpiresMs } = this.options;
    return defer(() => {
      const room = capacity - this.inbox.size;
      if (room <= 0) return this.taken.pipe(take(1), ignoreElements());
      return fetched$(link.consumer, room, fetchExpiresMs).pipe(tap((m) => this.onStored(m)), ignoreElements());
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
    this.lifecycle.report({ kind: 'refused', what: 'shipment', error });
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
      this.lifecycle.report({ kind: 'refused', what: 'status', error: err as Error });
    }
  }

  private checkPeer(peer: PeerId, method: string): void {
    if (peer !== this.options.peer) {
      throw new TidalError('InvalidInput', `${method}(${JSON.stringify(peer)}): this JetStream transport is follower ${JSON.stringify(this.options.peer)}`);
    }
  }
}
