/**
 * Child process for the "exits on its own" test: a leader in this thread
 * replicates to two replica workers, one of which is crashed and restarted
 * (it dies with exit code 3; the restart resumes), reads are served, then
 * everything is stopped and closed and the script simply returns. It never
 * calls process.exit: a thread, port or timer left behind would keep the
 * process alive and the test would time out.
 *
 * argv[2]: the compiled crashingReplicaWorker.js to run in the workers.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { TidalDb } from '../../../src/index.js';
import { startLeader, startReplicaWorker, WorkerTransport } from '../../../streams/index.js';

const workerUrl = process.argv[2]!;
const db = await TidalDb.open();
const workers = new WorkerTransport({ capacity: 4 });
const shipping = startLeader({ db, transport: workers, followers: workers.followers$, shipIntervalMs: 10 });
const r1 = await startReplicaWorker({ leader: workers, peer: 'r1', workerUrl, feedbackIntervalMs: 50 });
const doomed = await startReplicaWorker({ leader: workers, peer: 'r2', workerUrl, feedbackIntervalMs: 50 });
let last = 0;
for (let i = 0; i < 200; i++) last = await db.signal({ itemId: `item-${i % 7}`, type: 'view', at: 1_000 + i });
await r1.waitFor(last, { timeoutMs: 10_000 });
const crash = new BroadcastChannel('tidaldb-replica-worker-crash');
crash.postMessage({ peer: 'r2', how: 'exit' });
crash.close();
await new Promise<void>((resolve) => doomed.state$.subscribe({ complete: resolve }));
const r2 = await doomed.restart();
await r2.waitFor(last, { timeoutMs: 10_000 });
const [a, b] = [await r1.retrieve({ signal: 'view', at: 2_000 }), await r2.retrieve({ signal: 'view', at: 2_000 })];
if (JSON.stringify(a) !== JSON.stringify(db.retrieve({ signal: 'view', at: 2_000 })) || JSON.stringify(a) !== JSON.stringify(b)) {
  throw new Error('the replicas do not answer as the leader does');
}
await Promise.all([r1.stop(), r2.stop(), shipping.stop()]);
workers.close();
await db.close();
process.stdout.write(`stopped at ${last}\n`);
