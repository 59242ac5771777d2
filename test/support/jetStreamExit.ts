/**
 * Child process for the JetStream "exits on its own" test: replicates over
 * the JetStream transport (the server's URL in TIDALDB_TEST_NATS_URL; a
 * leader, a follower, and a follower end pointed at a port nothing listens
 * on, which keeps reconnecting), closes everything, and then simply
 * returns. It never calls process.exit: if any connection or timer were
 * left behind, the process would not exit and the test would time out.
 */
import * as net from 'node:net';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { JetStreamTransport, startFollower, startLeader } from '../../streams/index.js';

const url = process.env.TIDALDB_TEST_NATS_URL;
if (!url) throw new Error('TIDALDB_TEST_NATS_URL is not set');
const names = { stream: `tidaldb-exit-${process.pid}`, subjectPrefix: `tidaldb-exit-${process.pid}` };
const fast = { heartbeatMs: 50, reconnectBaseMs: 20, reconnectCapMs: 200 };
const nobody = net.createServer();
await new Promise<void>((resolve) => nobody.listen(0, '127.0.0.1', resolve));
const deadPort = (nobody.address() as net.AddressInfo).port;
await new Promise<void>((resolve) => nobody.close(() => resolve()));
const leaderDb = await TidalDb.open();
const replica = await FollowerDb.open();
const stray = await FollowerDb.open();
const leaderEnd = await JetStreamTransport.leader({ servers: url, db: leaderDb, ...names, ...fast, maxStreamBytes: 64 * 1024 * 1024, maxShipmentBytes: 1024 * 1024 });
const followerEnd = await JetStreamTransport.follower({ servers: url, db: replica, peer: 'f1', ...names, ...fast });
const strayEnd = await JetStreamTransport.follower({ servers: `nats://127.0.0.1:${deadPort}`, db: stray, peer: 'f2', ...names, ...fast });
const shipping = startLeader({ db: leaderDb, transport: leaderEnd, followers: ['f1', 'f2'], shipIntervalMs: 20 });
const receiving = startFollower({ db: replica, transport: followerEnd, peer: 'f1', feedbackIntervalMs: 50 });
let last = 0;
for (let i = 0; i < 200; i++) last = await leaderDb.signal({ itemId: `item-${i % 7}`, type: 'view', at: 1_000 + i });
await replica.waitFor(last, { timeoutMs: 10_000 });
const waiting = followerEnd.recvSegment('f1'); // nothing more comes: waits until close
waiting.catch(() => { /* Closed, by close() below */ });
await shipping.stop();
await receiving.stop();
await Promise.all([leaderEnd.close(), followerEnd.close(), strayEnd.close()]);
await Promise.all([leaderDb.close(), replica.close(), stray.close()]);
process.stdout.write(`closed ${replica.lastSeq}\n`);
