import { ReplicaWorker } from './replicaWorker.js';
import type { ReplicaWorkerOptions } from './replicaWorkerOptions.js';

/**
 * Starts a read replica in a worker thread, attached to the leader's
 * WorkerTransport as `peer`; resolves once its database is open and it
 * follows. Rejects with the worker's typed error if it cannot open its
 * database (`Locked`, `ConfigMismatch`, ...), `PeerInUse` while another
 * worker is `peer`, `Timeout` after `startTimeoutMs`.
 *
 * The leader ships to it once `peer` is in its follower set: pass
 * `workers.followers$` as startLeader's `followers` (it holds every
 * started, not stopped, worker), or list the peers yourself.
 *
 * @example
 * ```ts
 * const workers = new WorkerTransport();
 * const shipping = startLeader({ db, transport: workers, followers: workers.followers$ });
 * const replica = await startReplicaWorker({ leader: workers, peer: 'r1' });
 * await replica.waitFor(await db.signal({ itemId: 'song-1', type: 'view' }), { timeoutMs: 5000 });
 * await replica.retrieve({ signal: 'view' }); // [{ id: 'song-1', score: 1 }]
 * await Promise.all([replica.stop(), shipping.stop()]);
 * ```
 *
 * @see WorkerTransport
 * @see ReplicaWorker
 */
export function startReplicaWorker(options: ReplicaWorkerOptions): Promise<ReplicaWorker> {
  return ReplicaWorker.start(options);
}
