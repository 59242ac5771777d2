/**
 * The control channel between a replica worker's handle (main thread) and
 * its worker (`parentPort`): read requests and their answers, and the
 * worker's lifecycle. Replication itself runs on a separate MessagePort
 * (the worker transport), so reads never queue behind segments.
 *
 *   handle → worker:  { t: 'req', id, op, args }   at most maxInFlightRequests unanswered
 *                     { t: 'stop' }
 *   worker → handle:  { t: 'ready', lag }          the database is open and following
 *                     { t: 'res', id, value } | { t: 'res', id, error }
 *                     { t: 'state', state }        the follower pipeline's state$
 *                     { t: 'lag', lag }            the follower's lag$
 *                     { t: 'failed', error }       fatal: the worker closes and exits
 *                     { t: 'stopped' }             closed cleanly; the thread exits next
 *
 * Errors cross as { name, code, message } and come back as the same class
 * (TidalError or WalError) with the same code: an InvalidInput thrown by a
 * bad query in the worker is an InvalidInput in the caller.
 */
import type { MessagePort } from 'node:worker_threads';
import { TidalError, type TidalDbOptions, type TidalErrorCode, WalError, type WalErrorCode } from '../src/index.js';
import type { PipelineError, PipelineState } from './pipelineLifecycle.js';
import type { FollowerLagView } from './segmentReceiver.js';
import type { PeerId } from './transport.js';

/** The reads a replica worker serves, with their arguments as the database takes them. */
export type ReplicaOp = 'retrieve' | 'search' | 'readDecayScore' | 'waitFor';

export interface WireError {
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
}

export type ToReplica =
  | { readonly t: 'req'; readonly id: number; readonly op: ReplicaOp; readonly args: readonly unknown[] }
  | { readonly t: 'stop' };

export type FromReplica =
  | { readonly t: 'ready'; readonly lag: FollowerLagView }
  | { readonly t: 'res'; readonly id: number; readonly value?: unknown; readonly error?: WireError }
  | { readonly t: 'state'; readonly state: PipelineState }
  | { readonly t: 'lag'; readonly lag: FollowerLagView }
  | { readonly t: 'failed'; readonly error: WireError }
  | { readonly t: 'stopped' };

/** Database options a worker can be given: plain data (a clock or a store cannot cross a thread). */
export type ReplicaDbOptions = Omit<TidalDbOptions, 'role' | 'clock' | 'store'>;

/** What a replica worker starts from (its workerData). */
export interface ReplicaWorkerInit {
  readonly peer: PeerId;
  readonly db: ReplicaDbOptions;
  /** The worker's end of the replication channel. */
  readonly port: MessagePort;
  /** The leader's WorkerTransport capacity. */
  readonly capacity: number;
  readonly feedbackIntervalMs?: number;
  readonly checkpointIntervalMs?: number;
}

export function encodeError(err: unknown): WireError {
  if (err instanceof TidalError || err instanceof WalError) return { name: err.name, code: err.code, message: err.message };
  const e = err as { name?: unknown; message?: unknown } | null;
  return { name: typeof e?.name === 'string' ? e.name : 'Error', code: null, message: typeof e?.message === 'string' ? e.message : String(err) };
}

/**
 * The typed error a wire error stands for: a TidalError or WalError as it
 * was; anything else (a bug in the worker) as TidalError `Failed` saying
 * where it came from.
 */
export function decodeError(w: WireError, where: string): PipelineError {
  if (w.name === 'TidalError' && w.code !== null) return new TidalError(w.code as TidalErrorCode, w.message);
  if (w.name === 'WalError' && w.code !== null) return new WalError(w.code as WalErrorCode, w.message);
  return new TidalError('Failed', `${where}: ${w.name}: ${w.message}`);
}
