import { FollowerDb, TidalDb } from 'tidaldb';
import { InProcessTransport, startFollower, startLeader } from 'tidaldb/streams';

const transport = new InProcessTransport({ capacity: 16 }); // segments buffered per follower
const leader = await TidalDb.open();                         // add { dir } to either side to keep it on disk
const replica = await FollowerDb.open();                     // role 'follower': writes fail with ReadOnly

const shipping = startLeader({ db: leader, transport, followers: ['replica-1'], shipIntervalMs: 100 });
const receiving = startFollower({ db: replica, transport, peer: 'replica-1' });

shipping.state$.subscribe((state) => console.log('leader', state));  // starting, running, degraded, failed, stopped
shipping.lag$.subscribe((lag) => console.log(lag['replica-1']?.state, lag['replica-1']?.events, lag['replica-1']?.ms));
const seq = await leader.signal({ itemId: 'song-1', type: 'view' });
await replica.waitFor(seq, { timeoutMs: 5000 });                     // read-your-writes on the replica
await shipping.awaitInSync({ timeoutMs: 5000 });                     // every follower acked the leader's lastSeq
replica.retrieve({ signal: 'view', maxStaleMs: 10_000 });            // throws Stale if it knows it is further behind

await Promise.all([shipping.stop(), receiving.stop()]);              // resolve once nothing is in flight
transport.close();
await Promise.all([leader.close(), replica.close()]);
