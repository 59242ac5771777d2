/**
 * Options of `startReplicaWorker`, their defaults (each with its unit and
 * why), and the checks that refuse bad ones before a thread is started.
 */
import * as fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TidalError } from '../src/index.js';
import type { ReplicaDbOptions } from './replicaWorkerMessages.js';
import type { PeerId } from './transport.js';
import type { WorkerTransport } from './transports/workerTransport.js';
import { DEFAULT_MAX_IN_FLIGHT_REQUESTS } from './defaults.js';
import { DEFAULT_START_TIMEOUT_MS } from './defaults.js';
import { DEFAULT_STOP_TIMEOUT_MS } from './defaults.js';

/** Options of {@link startReplicaWorker}: the leader transport, the peer id, the database and the request bound. */
export interface ReplicaWorkerOptions {
  /** The leader's WorkerTransport: the worker is attached to it as `peer`. */
  readonly leader: WorkerTransport;
  /** This replica's peer id: in the leader's follower set (`leader.followers$` holds it from the start). */
  readonly peer: PeerId;
  /** The worker's FollowerDb: in memory by default; with `dir` it persists and a restart resumes from its own mark. */
  readonly db?: ReplicaDbOptions;
  /** The worker's follower pipeline heartbeat, in ms. Default 1000 (startFollower's). */
  readonly feedbackIntervalMs?: number;
  /** The worker's follower checkpoints, in ms; 0 turns them off. Default 60000 (startFollower's). */
  readonly checkpointIntervalMs?: number;
  /** Reads sent to the worker and not yet answered; past it a read fails at once with TidalError TooManyRequests. Default 1024. */
  readonly maxInFlightRequests?: number;
  /** How long the worker may take to open its database, in ms, before it is terminated and the start fails with Timeout. Default 60000. */
  readonly startTimeoutMs?: number;
  /** How long stop() waits for the worker to close its database, in ms, before it terminates the thread. Default 10000. */
  readonly stopTimeoutMs?: number;
  /** The worker's compiled entry: a URL, or a file path. Default: replicaWorkerMain.js beside this module (dist/streams/ in the package). */
  readonly workerUrl?: URL | string;
}

export interface ResolvedReplicaWorkerOptions extends ReplicaWorkerOptions {
  readonly db: ReplicaDbOptions;
  readonly maxInFlightRequests: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly workerUrl: URL;
}

/** The options with their defaults, or InvalidInput naming the bad one. */
export function resolveReplicaWorkerOptions(options: ReplicaWorkerOptions, defaultUrl: URL): ResolvedReplicaWorkerOptions {
  if (typeof options !== 'object' || options === null) throw new TidalError('InvalidInput', 'startReplicaWorker: options must be an object');
  if (typeof options.leader?.attach !== 'function') throw new TidalError('InvalidInput', 'startReplicaWorker: leader must be the leader\'s WorkerTransport');
  if (typeof options.peer !== 'string' || options.peer.length === 0) {
    throw new TidalError('InvalidInput', `startReplicaWorker: peer must be a non-empty string, got ${JSON.stringify(options.peer)}`);
  }
  const workerUrl = toUrl(options.workerUrl ?? defaultUrl);
  if (workerUrl.protocol === 'file:' && !fs.existsSync(fileURLToPath(workerUrl))) {
    throw new TidalError('InvalidInput', `startReplicaWorker: no worker script at ${fileURLToPath(workerUrl)}: it is compiled JavaScript (npm run build puts it in dist/streams/), or pass workerUrl`);
  }
  return {
    ...options, workerUrl, db: options.db ?? {},
    maxInFlightRequests: positiveInteger('maxInFlightRequests', options.maxInFlightRequests, DEFAULT_MAX_IN_FLIGHT_REQUESTS),
    startTimeoutMs: positiveInteger('startTimeoutMs', options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS),
    stopTimeoutMs: positiveInteger('stopTimeoutMs', options.stopTimeoutMs, DEFAULT_STOP_TIMEOUT_MS),
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TidalError('InvalidInput', `startReplicaWorker: ${name} must be an integer >= 1, got ${String(value)}`);
  return value;
}

/** A URL as given, a `file:` URL string as a URL, anything else as a file path. */
function toUrl(where: URL | string): URL {
  if (where instanceof URL) return where;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(where) ? new URL(where) : pathToFileURL(where);
}
