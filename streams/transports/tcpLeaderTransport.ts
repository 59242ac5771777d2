/**
 * TcpLeaderTransport: the leader's end of the TCP transport (from
 * `TcpTransport.listen`). It accepts follower connections, runs the
 * mutual challenge-response handshake on each (leaderHandshake.ts: the
 * follower proves it knows the token before the leader says anything about
 * itself, then the leader proves it too), and then, per follower:
 *
 *   send$(peer, segment) ─▶ PeerOutbox (capacity, socket backpressure) ─▶ segment frames
 *   sendStatus(peer, …)  ─▶ status frame (lossy: skipped while the socket is backed up)
 *   feedback()           ◀── the hello (as a 'resend' from the follower's mark), then feedback frames
 *
 * A follower is one peer id, in the follower set when one is given
 * (`followers`; any other id is refused with `UnknownPeer`). While a
 * connection holds an id, a second one under it is refused with
 * `PeerInUse`, unless the holder is dead (silent for deadAfterMs), which it
 * then replaces. Faults on one connection close only that connection.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { defer, firstValueFrom, type Observable, Subject } from 'rxjs';
import { type LeaderStatus, TidalError, WalError } from '../../src/index.js';
import type { Shipment } from '../shipment.js';
import { errorCode } from '../internal/errorCode.js';
import type { FollowerFeedback, LeaderTransport, PeerId } from '../transport.js';
import { FrameConnection } from './frameConnection.js';
import type { ConnectionClosed } from './frameConnectionOptions.js';
import { epochOf, helloRefusal } from './handshake.js';
import { deriveAuthKey } from './handshakeProof.js';
import { channelBindingOf, remoteOf } from './socketIdentity.js';
import { LeaderHandshake } from './leaderHandshake.js';
import { PeerOutbox } from './peerOutbox.js';
import { SEALED_OVERHEAD_BYTES } from './frameSealer.js';
import { resolveListenOptions, type ResolvedListenOptions, type TcpListenOptions, type TcpTransportEvent } from './tcpOptions.js';
import { encodeBody, type HelloMessage, shipmentMessage, type TcpMessage } from './tcpMessages.js';

type ResolvedListen = ResolvedListenOptions;

/**
 * The leader's end of a TCP transport; create it with `TcpTransport.listen`. A
 * LeaderTransport only: followers receive through their own `TcpTransport.connect`.
 * See the file comment and docs/tcp-protocol.md.
 */
export class TcpLeaderTransport implements LeaderTransport {
  private readonly outboxes = new Map<PeerId, PeerOutbox>();
  /** Handshaken connections by follower. */
  private readonly peers = new Map<PeerId, FrameConnection>();
  /** Every connection not yet closed, handshaken or not. */
  private readonly connections = new Set<FrameConnection>();
  /** Every raw socket not yet closed (including TLS handshakes in progress). */
  private readonly sockets = new Set<net.Socket>();
  private readonly feedbackSubject = new Subject<FollowerFeedback>();
  private readonly eventsSubject = new Subject<TcpTransportEvent>();
  private closing: Promise<void> | null = null;
  /** The key both handshake proofs use, derived from the token once (handshakeProof.ts). */
  private readonly authKey: Buffer;

  /** Connections opening and closing, with reasons. Hot; completes on close. */
  readonly events$: Observable<TcpTransportEvent> = this.eventsSubject.asObservable();

  private constructor(private readonly server: net.Server, private readonly options: ResolvedListen) {
    this.authKey = deriveAuthKey(options.token);
    server.maxConnections = options.maxConnections;
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on(options.tls ? 'secureConnection' : 'connection', (socket: net.Socket) => this.accept(socket));
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      // A follower certificate refused (signed by another CA, expired, missing under mutual TLS) is a failed authentication.
      options.db.metrics.inc('replication.authFailures.tls');
      const refused = socket.authorizationError ? `the follower's certificate was refused (${String(socket.authorizationError)})` : err.message;
      this.report({ kind: 'closed', peer: null, remote: remoteOf(socket), reason: `TLS handshake failed: ${refused}`, error: err });
    });
    // After listen, a server error (e.g. EMFILE on accept) is reported, not thrown: the connections it holds go on.
    server.on('error', (err: Error) => this.report({
      kind: 'closed', peer: null, remote: `${options.host}:listener`, reason: `listener error: ${err.message}`,
      error: new WalError('Io', `listener on ${options.host}: ${err.message}`, { cause: err }),
    }));
  }

  /**
   * Binds `host:port` (default 127.0.0.1) and resolves once listening; rejects if it cannot bind.
   * `serves` 'relay': `db` is a follower serving followers of its own (listenRelay).
   */
  static async listen(options: TcpListenOptions, serves: 'leader' | 'relay' = 'leader'): Promise<TcpLeaderTransport> {
    const resolved = await resolveListenOptions(options, serves);
    const server = resolved.tls
      ? tls.createServer({ ...resolved.tls, requestCert: resolved.tls.ca !== undefined, rejectUnauthorized: true,
        handshakeTimeout: resolved.deadAfterMs, minVersion: 'TLSv1.2' })
      : net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(resolved.port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpLeaderTransport(server, resolved);
  }

  /** The bound port (the one chosen when listening on port 0). */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The host asked for (default 127.0.0.1). */
  get host(): string {
    return this.options.host;
  }

  /** The address actually bound, e.g. '127.0.0.1'. */
  get address(): string {
    return (this.server.address() as net.AddressInfo).address;
  }

  /** What an operator should know about this listener's security, e.g. that it listens off loopback without TLS (print them at start). */
  get warnings(): readonly string[] {
    return this.options.warnings;
  }

  /** Followers connected (handshaken) now. */
  get connectedPeers(): PeerId[] {
    return [...this.peers.keys()];
  }

  sendSegment(peer: PeerId, segment: Shipment): Promise<void> {
    return firstValueFrom(this.send$(peer, segment));
  }

  /** Completes once the frame is written and the socket is below its high-water mark; waits while `peer` is away or its queue is full. */
  send$(peer: PeerId, segment: Shipment): Observable<void> {
    return defer(() => this.outbox(peer).send$(segment));
  }

  feedback(): Observable<FollowerFeedback> {
    return this.feedbackSubject.asObservable();
  }

  sendStatus(peer: PeerId, status: LeaderStatus): void {
    const conn = this.peers.get(peer);
    if (!conn || conn.needsDrain) return; // lossy: the next announcement supersedes it
    conn.send({ t: 'status', lastSeq: status.lastSeq, atMs: status.atMs });
  }

  /** Stops listening, closes every connection, errors every waiting send with `Closed`, completes the streams. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const err = new TidalError('Closed', 'the TCP transport is closed');
    for (const outbox of this.outboxes.values()) outbox.close(err);
    for (const conn of [...this.connections]) conn.close('the transport is closed');
    for (const socket of this.sockets) socket.destroy();
    this.closing = new Promise((resolve) => this.server.close(() => resolve()));
    this.feedbackSubject.complete();
    this.eventsSubject.complete();
    return this.closing;
  }

  private accept(socket: net.Socket): void {
    if (this.closing) return void socket.destroy();
    const { heartbeatMs, deadAfterMs, maxFrameBytes, scheduler, db, followers } = this.options;
    let peer: PeerId | null = null;
    const conn: FrameConnection = new FrameConnection(socket, remoteOf(socket), {
      heartbeatMs, deadAfterMs, maxFrameBytes, scheduler, peerRole: 'follower',
      onMessage: (m) => {
        if (peer !== null) return this.onFollowerMessage(peer, conn, m);
        const hello = handshake.onMessage(m);
        if (hello) peer = this.onWelcomed(conn, hello);
      },
      onClose: (closed) => this.onClosed(conn, peer, closed),
      onDrain: () => peer !== null && this.outboxes.get(peer)?.drained(conn),
    });
    const handshake = new LeaderHandshake(conn, {
      db, authKey: this.authKey, channelBinding: channelBindingOf(socket), sealFrames: !(socket instanceof tls.TLSSocket),
      refusalOf: (hello) => helloRefusal(hello, { shardId: db.shardId, followers }) ?? this.inUseRefusal(hello.peer),
      onAuthFailure: (reason) => db.metrics.inc(`replication.authFailures.${reason}`),
    });
    this.connections.add(conn);
  }

  /** A follower proved itself and was welcomed: it holds its peer id from now on; returns that id. */
  private onWelcomed(conn: FrameConnection, m: HelloMessage): PeerId {
    this.peers.set(m.peer, conn);
    this.report({ kind: 'connected', peer: m.peer, remote: conn.remote, epoch: epochOf(this.options.db) });
    // What was queued and still continues from the follower's mark goes out on the new connection. Only
    // when it does not reach the end of the queue (something was lost in transit) does the shipper ship
    // again from the mark ('resend'): asking for both delivered the queued segments twice.
    const resumes = this.outbox(m.peer).attach(conn, m.appliedSeq);
    const atMs = this.options.scheduler.now();
    this.feedbackSubject.next({ peer: m.peer, kind: resumes ? 'ack' : 'resend', appliedSeq: m.appliedSeq, durableSeq: m.appliedSeq, receivedSeq: m.appliedSeq, atMs });
    return m.peer;
  }

  /**
   * `PeerInUse` when a live connection holds `peer`, naming its address; the
   * first connection keeps working. A holder silent for deadAfterMs is dead
   * (its follower is reconnecting after a lost link): it is closed, and the
   * new connection takes its place.
   */
  private inUseRefusal(peer: PeerId): TidalError | null {
    const holder = this.peers.get(peer);
    if (!holder) return null;
    const { deadAfterMs } = this.options;
    const silentMs = holder.silentMs;
    if (silentMs >= deadAfterMs) {
      holder.close(`peer silent for ${silentMs} ms, replaced by a new connection`, new TidalError('Timeout',
        `${holder.remote}: nothing received for ${silentMs} ms (deadAfterMs ${deadAfterMs}); follower ${JSON.stringify(peer)} reconnected`));
      return null;
    }
    return new TidalError('PeerInUse', `peer id ${JSON.stringify(peer)} is already connected from ${holder.remote}; `
      + 'a second live connection under the same id is refused (each follower needs its own peer id)');
  }

  private onFollowerMessage(peer: PeerId, conn: FrameConnection, m: TcpMessage): void {
    if (m.t === 'feedback') {
      const { kind, appliedSeq, durableSeq, receivedSeq, atMs } = m;
      this.feedbackSubject.next(durableSeq === undefined ? { peer, kind, appliedSeq, receivedSeq, atMs } : { peer, kind, appliedSeq, durableSeq, receivedSeq, atMs });
    } else if (m.t === 'refuse') {
      conn.close(`follower refused this leader: ${m.reason}`, new TidalError('Fenced', `peer ${JSON.stringify(peer)} refused this leader: ${m.reason}`));
    } else if (m.t !== 'heartbeat') {
      throw new TidalError('InvalidInput', `unexpected '${m.t}' message from follower ${JSON.stringify(peer)}`);
    }
  }

  private onClosed(conn: FrameConnection, peer: PeerId | null, closed: ConnectionClosed): void {
    this.connections.delete(conn);
    if (peer !== null && this.peers.get(peer) === conn) {
      this.peers.delete(peer);
      this.outboxes.get(peer)?.detach(conn);
    }
    this.report({ kind: 'closed', peer, remote: conn.remote, ...closed });
  }

  private outbox(peer: PeerId): PeerOutbox {
    let outbox = this.outboxes.get(peer);
    if (!outbox) {
      const { capacity, maxFrameBytes } = this.options;
      // The body limit leaves room for sealing, whether or not this connection seals (24 bytes of 64 MiB).
      outbox = new PeerOutbox(capacity, (s) => encodeBody(shipmentMessage(s), maxFrameBytes, SEALED_OVERHEAD_BYTES));
      if (this.closing) outbox.close(new TidalError('Closed', 'the TCP transport is closed'));
      this.outboxes.set(peer, outbox);
    }
    return outbox;
  }

  private report(event: TcpTransportEvent): void {
    // Counted on the leader's metrics: followers connected, and connections refused or dropped by reason.
    if (event.kind === 'connected') this.options.db.metrics.inc('replication.connections');
    else if (event.kind === 'closed' && event.error) this.options.db.metrics.inc(`replication.connectionsClosed.${errorCode(event.error)}`);
    this.eventsSubject.next(event);
  }
}
