/**
 * Spawns a replica worker's thread: a MessageChannel whose one end the leader's WorkerTransport
 * attaches as the peer and whose other end goes to the worker with its init message. On a failure
 * part-way, what was made is undone (the attachment left, the port closed) before it throws.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { TidalError } from '../src/index.js';
import type { ReplicaWorkerInit } from './replicaWorkerMessages.js';
import type { ResolvedReplicaWorkerOptions } from './replicaWorkerOptions.js';
import type { WorkerAttachment } from './transports/workerTransport.js';

/** A started worker thread and its link to the leader; the ReplicaWorker handle owns all three. */
export interface ReplicaThread {
  readonly worker: Worker;
  readonly attachment: WorkerAttachment;
  /** Closes the leader's end of the channel. */
  readonly closePort: () => void;
}

export function spawnReplicaThread(resolved: ResolvedReplicaWorkerOptions): ReplicaThread {
  const { port1, port2 } = new MessageChannel();
  let attachment: WorkerAttachment;
  try {
    attachment = resolved.leader.attach(resolved.peer, port1);
  } catch (err) {
    port1.close();
    throw err;
  }
  const init: ReplicaWorkerInit = {
    peer: resolved.peer, db: resolved.db, port: port2, capacity: resolved.leader.capacity,
    feedbackIntervalMs: resolved.feedbackIntervalMs, checkpointIntervalMs: resolved.checkpointIntervalMs,
  };
  let worker: Worker;
  try {
    worker = new Worker(resolved.workerUrl, { workerData: init, transferList: [port2] });
  } catch (err) {
    attachment.leave();
    port1.close();
    throw new TidalError('InvalidInput', `startReplicaWorker: the worker could not be started: ${(err as Error).message}`, { cause: err });
  }
  return { worker, attachment, closePort: () => port1.close() };
}
