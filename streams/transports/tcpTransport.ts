/**
 * TcpTransport: replication between processes and machines, over TCP (or
 * TLS), with the same {@link Transport} interface as the in-process one, so
 * `startLeader` and `startFollower` run over it unchanged.
 *
 *   leader:   TcpTransport.listen({ port, token, db })            one listener, many followers
 *   follower: TcpTransport.connect({ host, port, peer, token, db }) one connection, reconnecting
 *
 * Frames are a u32 LE length and a msgpack body, size-checked before they
 * are read. A follower opens with a hello (peer, token, shard, epoch, mark);
 * the leader checks the token in constant time before it sends anything,
 * then welcomes it and ships from its mark. Heartbeats both ways find a
 * dead peer within deadAfterMs + heartbeatMs. The protocol is specified in
 * docs/tcp-protocol.md.
 *
 * @example
 * const listener = await TcpTransport.listen({ port: 7400, token, db: leaderDb });
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

export const TcpTransport = {
  /**
   * The leader's end: binds `host:port` (default 127.0.0.1; port 0 picks a
   * free port, read it from `.port`) and resolves once listening.
   * Rejects with InvalidInput for bad options, or with the bind error.
   */
  listen(options: TcpListenOptions): Promise<TcpLeaderTransport> {
    return TcpLeaderTransport.listen(options);
  },
  /**
   * A follower's end: starts connecting to the leader at `host:port`, and
   * reconnecting whenever the connection is lost, until `close()`. Resolves
   * at once (watch `connected$`); segments wait in the leader's queue meanwhile.
   */
  connect(options: TcpConnectOptions): Promise<TcpFollowerTransport> {
    return TcpFollowerTransport.connect(options);
  },
} as const;
