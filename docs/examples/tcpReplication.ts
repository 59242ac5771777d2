import { FollowerDb, TidalDb } from 'tidaldb';
import { startFollower, startLeader, TcpTransport } from 'tidaldb/streams';

const token = process.env.TIDALDB_TOKEN ?? 'a-long-random-secret-shared-by-the-cluster';
const leader = await TidalDb.open();
const replica = await FollowerDb.open();

// on the leader (binds 127.0.0.1 unless told otherwise; TLS with tls: { cert, key, ca? }); other peer ids are refused
const listener = await TcpTransport.listen({ port: 0, token, db: leader, followers: ['replica-1'] });
const shipping = startLeader({ db: leader, transport: listener, followers: ['replica-1'], shipIntervalMs: 100 });

// on a follower
const link = await TcpTransport.connect({ host: '127.0.0.1', port: listener.port, peer: 'replica-1', token, db: replica });
const receiving = startFollower({ db: replica, transport: link, peer: 'replica-1' });

await replica.waitFor(await leader.signal({ itemId: 'song-1', type: 'view' }), { timeoutMs: 5000 });
await Promise.all([shipping.stop(), receiving.stop()]);
await Promise.all([link.close(), listener.close()]);
await Promise.all([leader.close(), replica.close()]);
