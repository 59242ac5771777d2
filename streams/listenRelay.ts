import { TcpLeaderTransport } from './transports/tcpLeaderTransport.js';
import type { TcpListenOptions } from './transports/tcpOptions.js';

/**
 * Listens for a relay's own followers over TCP: `TcpTransport.listen` on a
 * follower database (which `listen` itself refuses, to catch a leader
 * misconfigured as a follower). The listener welcomes followers with the
 * relay's shard and epoch (the origin leader's, as it applied them); pass it
 * to startRelay as the transport. See docs/cascading.md.
 *
 * @example
 * const token = 'a-shared-secret-of-16-bytes-or-more';
 * const relayDb = await FollowerDb.open({ dir: '/var/lib/relay' });
 * const up = await TcpTransport.connect({ host: 'leader', port: 7400, peer: 'relay', token, db: relayDb });
 * startFollower({ db: relayDb, transport: up, peer: 'relay' });
 * const down = await listenRelay({ port: 7401, token, db: relayDb, followers: ['edge-1'] });
 * const serving = startRelay({ db: relayDb, transport: down, followers: ['edge-1'] });
 *
 * @param options TcpTransport.listen's, with `db` a follower database
 * @returns the listener (a LeaderTransport); close it after stopping the relay
 * @see startRelay
 */
export function listenRelay(options: TcpListenOptions): Promise<TcpLeaderTransport> {
  try {
    return TcpLeaderTransport.listen(options, 'relay');
  } catch (err) {
    return Promise.reject(err);
  }
}
