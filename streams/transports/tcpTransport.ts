/**
 * TcpTransport: replication between processes and machines, over TCP (or
 * TLS). Its two ends are the two halves of the transport interface, so
 * `startLeader` and `startFollower` run over it unchanged:
 *
 *   leader:   TcpTransport.listen({ port, token, db })            a LeaderTransport: one listener, many followers
 *   follower: TcpTransport.connect({ host, port, peer, token, db }) a FollowerTransport: one connection, reconnecting
 *
 * Frames are a u32 LE length and a msgpack body, size-checked before they
 * are read. A follower opens with a hello (peer, shard, epoch, mark, nonce);
 * both ends then prove they know the token by HMACs over the handshake's
 * transcript (the token never crosses the wire; the follower proves first,
 * and the leader says nothing about itself until it has), and the leader
 * ships from the follower's mark. Without TLS every later frame carries a
 * seq and a MAC. Heartbeats both ways find a dead peer within
 * deadAfterMs + heartbeatMs. The protocol is specified in
 * docs/tcp-protocol.md, the threat model in docs/security.md.
 *
 * @example
 * const listener = await TcpTransport.listen({ port: 7400, token, db: leaderDb, followers: ['replica-1'] });
 * const shipping = startLeader({ db: leaderDb, transport: listener, followers: ['replica-1'] });
 *
 * const link = await TcpTransport.connect({ host: '127.0.0.1', port: 7400, peer: 'replica-1', token, db: replica });
 * const receiving = startFollower({ db: replica, transport: link, peer: 'replica-1' });
 * // …
 * shipping.stop(); receiving.stop(); await link.close(); await listener.close();
 *
 * @see InProcessTransport
 */
import { TcpFollowerTransport } from './tcpFollowerTransport.js';
import { TcpLeaderTransport } from './tcpLeaderTransport.js';
import type { TcpConnectOptions, TcpListenOptions } from './tcpOptions.js';

export { TcpFollowerTransport, TcpLeaderTransport };
export { backoffDelayMs } from './backoffDelayMs.js';
export type { PemSource, TcpConnectOptions, TcpListenOptions, TcpTlsOptions, TcpTransportEvent } from './tcpOptions.js';

/** Either end of a TCP transport. */
export type TcpTransport = TcpLeaderTransport | TcpFollowerTransport;

/** Opens either end of replication over TCP: `TcpTransport.listen(options)` on the leader, `TcpTransport.connect(options)` on a follower. */
export const TcpTransport = {
  /**
   * The leader's end: binds `host:port` (default 127.0.0.1; port 0 picks a
   * free port, read it from `.port`) and resolves once listening. Pass the
   * follower set as `followers` to refuse any other peer id (UnknownPeer).
   * Rejects with InvalidInput for bad options (a token under 16 bytes; an
   * address off loopback without TLS unless `insecure: true`), or with the bind error.
   */
  listen(options: TcpListenOptions): Promise<TcpLeaderTransport> {
    return TcpLeaderTransport.listen(options);
  },
  /**
   * A follower's end: starts connecting to the leader at `host:port`, and
   * reconnecting whenever the connection is lost, until `close()`. Resolves
   * once the first attempt has settled (welcomed, or lost in a way a retry
   * may fix: see `firstAttempt`, and watch `connected$`); rejects, leaving
   * nothing running, with UnknownPeer, PeerInUse, AuthFailed, ConfigMismatch
   * or NotTidalDb when that first attempt met a refusal no retry can fix.
   */
  connect(options: TcpConnectOptions): Promise<TcpFollowerTransport> {
    return TcpFollowerTransport.connect(options);
  },
} as const;
