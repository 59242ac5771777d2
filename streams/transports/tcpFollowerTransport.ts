/**
 * TcpFollowerTransport: a follower's end of the TCP transport (from
 * `TcpTransport.connect`). It keeps one connection to the leader, opening a
 * new one whenever it is lost (capped exponential backoff with full jitter),
 * and says hello with the follower's mark each time.
 *
 * `connect` resolves once the first attempt has settled: welcomed, or lost
 * in a way a retry may fix (refused, unreachable, a dead or fenced leader;
 * it goes on retrying). It rejects, leaving nothing running, when the first
 * attempt met a refusal no retry can fix: `UnknownPeer`, `PeerInUse`,
 * `AuthFailed`, `ConfigMismatch`, or `NotTidalDb` (the address is not a
 * tidaldb leader). Later losses of any kind are retried.
 *
 *   segment frames ─▶ inbox (capacity; full → stop reading the socket) ─▶ receive$(peer)
 *   status frames  ─▶ status(peer)
 *   sendFeedback   ─▶ feedback frame (lossy: dropped while disconnected or backed up)
 *
 *   connection : ──c────────X      ───c──────      (X: lost; c: welcomed)
 *   waits      :            └─ backoffDelayMs(0) ┘
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  BehaviorSubject, defer, firstValueFrom, Observable, repeat, Subject, type Subscription, tap, timer,
} from 'rxjs';
import { type LeaderStatus, TidalError } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import type { FollowerFeedback, FollowerTransport, PeerId } from '../transport.js';
import { BoundedChannel } from './boundedChannel.js';
import { FrameConnection } from './frameConnection.js';
import { FollowerHandshake } from './followerHandshake.js';
import { epochOf, welcomeRefusal } from './handshake.js';
import { CHANNEL_BINDING_LABEL, deriveAuthKey } from './handshakeProof.js';
import { reconnectWithBackoff } from './reconnectWithBackoff.js';
import { resolveConnectOptions, type ResolvedTcpOptions, type TcpConnectOptions, type TcpTransportEvent } from './tcpOptions.js';
import { authFailureOf, closeError, FATAL_AT_START, refusalError } from './followerCloseError.js';
import { checkpointPayload, segmentPayload, statusOf, type TcpMessage } from './tcpMessages.js';

type ResolvedConnect = ResolvedTcpOptions & { peer: PeerId; random: () => number };

/** How a connection attempt ended: welcomed, or closed with why. */
export type TcpConnectOutcome = Extract<TcpTransportEvent, { kind: 'connected' | 'closed' }>;

/**
 * A follower's end of a TCP transport; create it with `TcpTransport.connect`. A
 * FollowerTransport only: the leader ships through its `TcpTransport.listen`.
 * See the file comment and docs/tcp-protocol.md.
 */
export class TcpFollowerTransport implements FollowerTransport {
  private readonly inbox: BoundedChannel<Shipment>;
  private readonly statusSubject = new Subject<LeaderStatus>();
  private readonly eventsSubject = new Subject<TcpTransportEvent>();
  private readonly connectedSubject = new BehaviorSubject<boolean>(false);
  private conn: FrameConnection | null = null;
  private readonly loop: Subscription;
  private closed = false;
  private first: TcpConnectOutcome | null = null;
  private settleFirst!: { resolve: () => void; reject: (err: Error) => void };
  private readonly firstSettled = new Promise<void>((resolve, reject) => (this.settleFirst = { resolve, reject }));
  /** The key both handshake proofs use, derived from the token once (handshakeProof.ts). */
  private readonly authKey: Buffer;

  /** Connections opening and closing, and reconnect waits, with reasons. Hot; completes on close. */
  readonly events$: Observable<TcpTransportEvent> = this.eventsSubject.asObservable();
  /** True while welcomed by the leader. Replays the latest; completes on close. */
  readonly connected$: Observable<boolean> = this.connectedSubject.asObservable();

  private constructor(private readonly options: ResolvedConnect) {
    this.authKey = deriveAuthKey(options.token);
    this.inbox = new BoundedChannel<Shipment>(options.capacity);
    const { random, scheduler } = options;
    this.loop = reconnectWithBackoff(() => this.session$(), {
      random, scheduler,
      onRetry: (attempt, delayMs) => {
        options.db.metrics.inc('replication.reconnects');
        this.eventsSubject.next({ kind: 'reconnecting', attempt, delayMs });
      },
    }).subscribe();
  }

  /**
   * Starts connecting to the leader (and reconnecting, until `close()`);
   * resolves once the first attempt has settled (see the file comment), and
   * rejects with the leader's refusal when no retry can fix it.
   */
  static async connect(options: TcpConnectOptions): Promise<TcpFollowerTransport> {
    const transport = new TcpFollowerTransport(await resolveConnectOptions(options));
    try {
      await transport.firstSettled;
    } catch (err) {
      await transport.close();
      throw err;
    }
    return transport;
  }

  /** How the first connection attempt ended (set once `connect` has resolved): welcomed, or closed with why. */
  get firstAttempt(): TcpConnectOutcome | null {
    return this.first;
  }

  /** This follower's peer id. */
  get peer(): PeerId {
    return this.options.peer;
  }

  /** Segments buffered, not yet taken by `receive$`. */
  get buffered(): number {
    return this.inbox.size;
  }

  recvSegment(peer: PeerId): Promise<Shipment> {
    return firstValueFrom(this.receive$(peer));
  }

  /** Takes the next segment from the leader; taking one makes room, and a paused socket reads again. */
  receive$(peer: PeerId): Observable<Shipment> {
    return defer(() => {
      this.checkPeer(peer, 'receive$');
      return this.inbox.receive$().pipe(tap(() => {
        if (this.inbox.size < this.inbox.capacity) this.conn?.resume();
      }));
    });
  }

  segments(peer: PeerId): Observable<Shipment> {
    return this.receive$(peer).pipe(repeat());
  }

  sendFeedback(feedback: FollowerFeedback): void {
    this.checkPeer(feedback.peer, 'sendFeedback');
    const conn = this.conn;
    if (!conn?.isEstablished || conn.needsDrain) return; // lossy: the next heartbeat repairs it
    const { kind, appliedSeq, durableSeq, receivedSeq, atMs } = feedback;
    conn.send(durableSeq === undefined
      ? { t: 'feedback', kind, appliedSeq, receivedSeq, atMs }
      : { t: 'feedback', kind, appliedSeq, durableSeq, receivedSeq, atMs });
  }

  status(peer: PeerId): Observable<LeaderStatus> {
    return defer(() => {
      this.checkPeer(peer, 'status');
      return this.statusSubject.asObservable();
    });
  }

  /** Stops reconnecting, closes the connection, errors every waiting receive with `Closed`, completes the streams. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.loop.unsubscribe();
    this.inbox.close(new TidalError('Closed', 'the TCP transport is closed'));
    this.statusSubject.complete();
    this.eventsSubject.complete();
    this.connectedSubject.complete();
    return Promise.resolve();
  }

  /**
   * One connection: emits once it has stayed up deadAfterMs after the welcome
   * (which resets the backoff: a leader that welcomes and then drops us at
   * once must not be hammered); errors when lost, and the loop then waits and
   * opens another.
   */
  private session$(): Observable<void> {
    return new Observable<void>((subscriber) => {
      let stable: Subscription | null = null;
      let tlsUp = false;
      const { host, port, heartbeatMs, deadAfterMs, maxFrameBytes, scheduler } = this.options;
      const socket = this.options.tls
        ? tls.connect({ host, port, ...this.options.tls, minVersion: 'TLSv1.2' })
        : net.connect({ host, port });
      const conn: FrameConnection = new FrameConnection(socket, `${host}:${port}`, {
        heartbeatMs, deadAfterMs, maxFrameBytes, scheduler, peerRole: 'leader',
        onMessage: (m) => this.onLeaderMessage(conn, handshake, m, () => {
          stable = timer(deadAfterMs, scheduler).subscribe(() => subscriber.next());
        }),
        onClose: (closed) => {
          if (this.conn === conn) this.conn = null;
          if (!this.closed && this.connectedSubject.value) this.connectedSubject.next(false);
          const certificateSent = tlsUp && this.options.tls?.cert !== undefined;
          const error = closeError(closed, { remote: conn.remote, certificateSent, heardNothing: conn.heardNothing });
          const failure = authFailureOf(error, closed.error);
          if (failure) this.options.db.metrics.inc(`replication.authFailures.${failure}`);
          this.report({ kind: 'closed', peer: this.options.peer, remote: conn.remote, reason: closed.reason, ...(error && { error }) });
          subscriber.error(error ?? new TidalError('Closed', closed.reason));
        },
      });
      const { db, peer, tls: withTls } = this.options;
      const handshake = new FollowerHandshake(conn, {
        db, peer, authKey: this.authKey, sealFrames: !withTls,
        channelBinding: () => (socket instanceof tls.TLSSocket ? socket.exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0)) : new Uint8Array(0)),
      });
      this.conn = conn;
      socket.once(withTls ? 'secureConnect' : 'connect', () => {
        tlsUp = withTls !== null;
        handshake.start();
      });
      return () => {
        stable?.unsubscribe();
        conn.close('the transport is closed');
      };
    });
  }

  private onLeaderMessage(conn: FrameConnection, handshake: FollowerHandshake, m: TcpMessage, welcomed: () => void): void {
    if (!conn.isEstablished) return this.onHandshakeReply(conn, handshake, m, welcomed);
    if (m.t === 'segment' || m.t === 'checkpoint') {
      const shipment = m.t === 'segment' ? segmentPayload(m) : checkpointPayload(m);
      this.inbox.send$(shipment).subscribe(); // room is guaranteed: the connection pauses when full
      if (this.inbox.size >= this.inbox.capacity) conn.pause();
    } else if (m.t === 'status') {
      this.statusSubject.next(statusOf(m));
    } else if (m.t === 'refuse') {
      conn.close(`leader closed the connection: ${m.reason}`, new TidalError('Closed', `leader: ${m.reason}`));
    } else if (m.t !== 'heartbeat') {
      throw new TidalError('InvalidInput', `unexpected '${m.t}' message from the leader`);
    }
  }

  private onHandshakeReply(conn: FrameConnection, handshake: FollowerHandshake, m: TcpMessage, welcomed: () => void): void {
    if (m.t === 'refuse') return conn.close(`leader refused this follower: ${m.reason}`, refusalError(m));
    const welcome = handshake.onMessage(m); // throws AuthFailed for a leader that cannot prove the token
    if (welcome === null) return;
    const refusal = welcomeRefusal(welcome, epochOf(this.options.db));
    if (refusal) return conn.refuse(refusal);
    conn.establish();
    if (this.inbox.size >= this.inbox.capacity) conn.pause();
    this.connectedSubject.next(true);
    this.report({ kind: 'connected', peer: this.options.peer, remote: conn.remote, epoch: welcome.epoch });
    welcomed();
  }

  /** Reports a connection's outcome; the first one settles `connect`. */
  private report(event: TcpConnectOutcome): void {
    if (this.first === null) {
      this.first = event;
      const code = event.kind === 'closed' ? (event.error as { code?: unknown } | undefined)?.code : undefined;
      if (event.kind === 'closed' && typeof code === 'string' && FATAL_AT_START.has(code)) this.settleFirst.reject(event.error!);
      else this.settleFirst.resolve();
    }
    this.eventsSubject.next(event);
  }

  private checkPeer(peer: PeerId, method: string): void {
    if (peer !== this.options.peer) {
      throw new TidalError('InvalidInput', `${method}(${JSON.stringify(peer)}): this TCP transport is follower ${JSON.stringify(this.options.peer)}`);
    }
  }
}
