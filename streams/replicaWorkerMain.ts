/**
 * The entry of a replica worker thread: `startReplicaWorker` starts this
 * file's compiled JavaScript (dist/streams/replicaWorkerMain.js, beside
 * replicaWorker.js) with a ReplicaWorkerInit as its workerData. Node 20
 * runs no TypeScript, so this is never started from the .ts source.
 *
 * Anything serveReplica does not handle escapes as an uncaught error: the
 * thread exits with code 1 and the handle reports the crash.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TidalError } from '../src/index.js';
import type { ReplicaWorkerInit } from './replicaWorkerMessages.js';
import { serveReplica } from './replicaWorkerServe.js';

if (!parentPort) throw new TidalError('InvalidInput', 'replicaWorkerMain runs in a worker thread: start it with startReplicaWorker');
await serveReplica(parentPort, workerData as ReplicaWorkerInit);
