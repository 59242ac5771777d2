/** Options of the JetStream transport, their validation, and what it reports. */
import type { SchedulerLike } from 'rxjs';
import { DEFAULT_SCHEDULER } from '../defaults.js';
import { type TidalDb } from '../../src/index.js';
import { integerOption, invalidOption, rejectUnknownOptions } from '../../src/optionChecks.js';
import type { PeerId } from '../transport.js';
import type { NatsClientOptions } from './jetStreamConnections.js';
import {
  DEFAULT_ACK_WAIT_MS, DEFAULT_DUPLICATE_WINDOW_MS, DEFAULT_FETCH_EXPIRES_MS, DEFAULT_JETSTREAM_CAPACITY, DEFAULT_JETSTREAM_HEARTBEAT_MS,
  DEFAULT_MAX_ACK_PENDING, DEFAULT_MAX_SHIPMENT_BYTES, DEFAULT_MAX_STREAM_AGE_MS, DEFAULT_MAX_STREAM_BYTES, DEFAULT_MAX_STREAM_MESSAGES,
  DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SUBJECT_PREFIX, defaultStreamName,
} from './jetStreamDefaults.js';
import { checkStreamName, checkSubjectPrefix, jetStreamNames, type JetStreamNames, peerToken } from './jetStreamSubjects.js';
import type { StreamLimits } from './jetStreamStream.js';
import { RECONNECT_BASE_MS, RECONNECT_CAP_MS } from './tcpDefaults.js';

interface JetStreamOptionsBase {
  /** The NATS server(s), e.g. 'nats://127.0.0.1:4222' or several of a cluster. */
  readonly servers: string | readonly string[];
  /** Leader: the leader database (its shard, epoch and WAL). Follower: the follower database (its shard, epoch and mark). */
  readonly db: TidalDb;
  /** The first subject token(s). Default 'tidaldb'. */
  readonly subjectPrefix?: string;
  /** The shard's stream. Default 'tidaldb-shard-<shardId>'. */
  readonly stream?: string;
  /** Passed to the NATS client as given: credentials (user/pass, token, authenticator), tls, name. */
  readonly nats?: NatsClientOptions;
  /** The client pings the server this often, in ms; three unanswered lose the connection. Default 1000. */
  readonly heartbeatMs?: number;
  /** A connection attempt, JetStream API request or publish ack that takes longer fails, in ms. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** The largest shipment sent (leader) or assembled (follower), in bytes. Default 64 MiB. */
  readonly maxShipmentBytes?: number;
  /** The first reconnect waits up to this long, in ms (backoffDelayMs). Default 100. */
  readonly reconnectBaseMs?: number;
  /** The longest reconnect wait, in ms. Default 10 000. */
  readonly reconnectCapMs?: number;
  /** Uniform draws in [0, 1) for reconnect jitter. Default Math.random. */
  readonly random?: () => number;
  /** Drives reconnect waits (the connections are real I/O). Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
}

/** Options of `JetStreamTransport.leader`. */
export interface JetStreamLeaderOptions extends JetStreamOptionsBase {
  /** The stream keeps at most this many bytes; the oldest messages go first. Default 1 GiB. */
  readonly maxStreamBytes?: number;
  /** The stream keeps messages at most this long, in ms; 0: no age limit. Default 7 days. */
  readonly maxStreamAgeMs?: number;
  /** The stream keeps at most this many messages. Default 10 million. */
  readonly maxStreamMessages?: number;
  /** A message id seen this recently is a duplicate, in ms. Default 120 000. */
  readonly duplicateWindowMs?: number;
  /** Copies of the stream in a JetStream cluster (1, 3 or 5 make sense). Default 1. */
  readonly replicas?: number;
  /** Where the server keeps the stream. Default 'file'. */
  readonly storage?: 'file' | 'memory';
  /** Shipments queued for publishing before `send$` waits. Default 16. */
  readonly capacity?: number;
}

/** Options of `JetStreamTransport.follower`. */
export interface JetStreamFollowerOptions extends JetStreamOptionsBase {
  /** This follower's id: its durable consumer's name and its feedback and status subjects. */
  readonly peer: PeerId;
  /** Shipments buffered before the follower stops pulling. Default 16. */
  readonly capacity?: number;
  /** A delivered message not acked within this long is delivered again, in ms. Default 30 000. */
  readonly ackWaitMs?: number;
  /** Messages delivered and not yet acked, at most (the consumer's max_ack_pending). Default 1000. */
  readonly maxAckPending?: number;
  /** One pull request waits this long on the server for messages, in ms. Default 2000. */
  readonly fetchExpiresMs?: number;
}

/** What both ends resolve to. */
export interface ResolvedJetStreamBase {
  readonly servers: readonly string[];
  readonly db: TidalDb;
  readonly names: JetStreamNames;
  readonly nats: NatsClientOptions;
  readonly heartbeatMs: number;
  readonly requestTimeoutMs: number;
  readonly maxShipmentBytes: number;
  readonly reconnectBaseMs: number;
  readonly reconnectCapMs: number;
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
}

export interface ResolvedJetStreamLeader extends ResolvedJetStreamBase {
  readonly limits: StreamLimits;
  readonly capacity: number;
}

export interface ResolvedJetStreamFollower extends ResolvedJetStreamBase {
  readonly peer: PeerId;
  readonly capacity: number;
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  readonly fetchExpiresMs: number;
}

/** How an end's link to NATS stands. */
export type JetStreamLinkState =
  /** Before the first connection. */
  | 'connecting'
  /** Connected, the stream (leader) or consumer (follower) ready. */
  | 'connected'
  /** Lost or refused; reconnecting with backoff. */
  | 'disconnected'
  /** Leader only: a newer leader publishes to the stream; this end ships nothing more. */
  | 'fenced'
  | 'closed';

/** What a JetStream transport end reports on `events$`. */
export type JetStreamTransportEvent =
  | { readonly kind: 'connected'; readonly server: string; readonly maxPayloadBytes: number }
  | { readonly kind: 'closed'; readonly reason: string; readonly error?: Error }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'fenced'; readonly error: Error }
  /** A message this end refused (feedback or a status that does not parse; a stored message whose headers or parts do not), with why. */
  | { readonly kind: 'refused'; readonly what: 'feedback' | 'status' | 'shipment'; readonly error: Error };

const BASE_KEYS = [
  'servers', 'db', 'subjectPrefix', 'stream', 'nats', 'heartbeatMs', 'requestTimeoutMs', 'maxShipmentBytes',
  'reconnectBaseMs', 'reconnectCapMs', 'random', 'scheduler',
];
const LEADER_KEYS = new Set([...BASE_KEYS, 'maxStreamBytes', 'maxStreamAgeMs', 'maxStreamMessages', 'duplicateWindowMs', 'replicas', 'storage', 'capacity']);
const FOLLOWER_KEYS = new Set([...BASE_KEYS, 'peer', 'capacity', 'ackWaitMs', 'maxAckPending', 'fetchExpiresMs']);

const MAX_MS = 2 ** 31 - 1;

export function resolveLeaderOptions(o: JetStreamLeaderOptions): ResolvedJetStreamLeader {
  const base = resolveBase(o, LEADER_KEYS, 'leader');
  const maxAgeMs = integerOption('maxStreamAgeMs', o.maxStreamAgeMs ?? DEFAULT_MAX_STREAM_AGE_MS, 0, Number.MAX_SAFE_INTEGER / 1e6);
  const duplicateWindowMs = integerOption('duplicateWindowMs', o.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS, 1, MAX_MS);
  if (maxAgeMs > 0 && duplicateWindowMs > maxAgeMs) {
    throw invalidOption(`duplicateWindowMs (${duplicateWindowMs}) must not exceed maxStreamAgeMs (${maxAgeMs}): NATS refuses such a stream`);
  }
  const storage = o.storage ?? 'file';
  if (storage !== 'file' && storage !== 'memory') throw invalidOption(`storage must be 'file' or 'memory', got ${JSON.stringify(storage)}`);
  return {
    ...base,
    limits: {
      maxBytes: integerOption('maxStreamBytes', o.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES, base.maxShipmentBytes, Number.MAX_SAFE_INTEGER),
      maxAgeMs,
      maxMessages: integerOption('maxStreamMessages', o.maxStreamMessages ?? DEFAULT_MAX_STREAM_MESSAGES, 1, Number.MAX_SAFE_INTEGER),
      duplicateWindowMs,
      replicas: integerOption('replicas', o.replicas ?? 1, 1, 5),
      storage,
    },
    capacity: integerOption('capacity', o.capacity ?? DEFAULT_JETSTREAM_CAPACITY, 1, 2 ** 20),
  };
}

export function resolveFollowerOptions(o: JetStreamFollowerOptions): ResolvedJetStreamFollower {
  const base = resolveBase(o, FOLLOWER_KEYS, 'follower');
  if (typeof o.peer !== 'string') throw invalidOption(`peer must be a string, got ${typeof o.peer}`);
  peerToken(o.peer); // InvalidInput for an empty, over-long or ill-formed id
  return {
    ...base,
    peer: o.peer,
    capacity: integerOption('capacity', o.capacity ?? DEFAULT_JETSTREAM_CAPACITY, 1, 2 ** 20),
    ackWaitMs: integerOption('ackWaitMs', o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS, 100, MAX_MS),
    maxAckPending: integerOption('maxAckPending', o.maxAckPending ?? DEFAULT_MAX_ACK_PENDING, 1, 2 ** 20),
    fetchExpiresMs: integerOption('fetchExpiresMs', o.fetchExpiresMs ?? DEFAULT_FETCH_EXPIRES_MS, 100, MAX_MS),
  };
}

function resolveBase(o: JetStreamOptionsBase, keys: ReadonlySet<string>, role: 'leader' | 'follower'): ResolvedJetStreamBase {
  if (typeof o !== 'object' || o === null) throw invalidOption(`options must be an object, got ${String(o)}`);
  rejectUnknownOptions(o, keys, 'option');
  const servers = typeof o.servers === 'string' ? [o.servers] : o.servers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw invalidOption(`servers must be a NATS URL or a non-empty array of them, got ${JSON.stringify(o.servers)}`);
  }
  if (typeof o.db?.isFollower !== 'function') throw invalidOption('db must be a TidalDb');
  if (o.db.isFollower() !== (role === 'follower')) {
    throw invalidOption(role === 'leader' ? 'a JetStream leader needs the leader database; this one is a follower' : 'a JetStream follower needs a follower database (role \'follower\')');
  }
  if (o.nats !== undefined && (typeof o.nats !== 'object' || o.nats === null)) throw invalidOption('nats must be an object of NATS client options');
  if (o.random !== undefined && typeof o.random !== 'function') throw invalidOption('random must be a function returning a number in [0, 1)');
  const prefix = checkSubjectPrefix(o.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX);
  const stream = checkStreamName(o.stream ?? defaultStreamName(o.db.shardId));
  const reconnectBaseMs = integerOption('reconnectBaseMs', o.reconnectBaseMs ?? RECONNECT_BASE_MS, 1, MAX_MS);
  return {
    servers: [...servers],
    db: o.db,
    names: jetStreamNames(prefix, o.db.shardId, stream),
    nats: o.nats ?? {},
    heartbeatMs: integerOption('heartbeatMs', o.heartbeatMs ?? DEFAULT_JETSTREAM_HEARTBEAT_MS, 10, MAX_MS),
    requestTimeoutMs: integerOption('requestTimeoutMs', o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 10, MAX_MS),
    maxShipmentBytes: integerOption('maxShipmentBytes', o.maxShipmentBytes ?? DEFAULT_MAX_SHIPMENT_BYTES, 1, 2 ** 32),
    reconnectBaseMs,
    reconnectCapMs: integerOption('reconnectCapMs', o.reconnectCapMs ?? RECONNECT_CAP_MS, reconnectBaseMs, MAX_MS),
    random: o.random ?? Math.random,
    scheduler: o.scheduler ?? DEFAULT_SCHEDULER,
  };
}
