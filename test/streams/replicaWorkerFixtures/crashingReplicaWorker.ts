/**
 * A replica worker that the test can crash: it runs the real worker entry
 * (replicaWorkerMain) and listens on a BroadcastChannel for
 * `{ peer, how: 'throw' | 'exit' }` naming its peer: 'throw' throws an
 * uncaught error in the thread, 'exit' calls process.exit(3) (which ends
 * only this thread, as a terminate does). The channel is unref'd and closed
 * once the replica stops, so it never keeps the thread alive.
 */
import { BroadcastChannel, workerData } from 'node:worker_threads';
import type { ReplicaWorkerInit } from '../../../streams/replicaWorkerMessages.js';

export const CRASH_CHANNEL = 'tidaldb-replica-worker-crash';

const crash = new BroadcastChannel(CRASH_CHANNEL);
crash.unref();
crash.onmessage = (event: unknown) => {
  const { peer, how } = (event as { data: { peer: string; how: 'throw' | 'exit' } }).data;
  if (peer !== (workerData as ReplicaWorkerInit).peer) return;
  if (how === 'exit') process.exit(3);
  setImmediate(() => {
    throw new Error('boom: the test crashed this replica worker');
  });
};
await import('../../../streams/replicaWorkerMain.js');
crash.close();
