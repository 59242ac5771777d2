/** Options of the TCP transport, their validation, and what it reports. */
import { readFile } from 'node:fs/promises';
import type { SchedulerLike } from 'rxjs';
import { TidalError, type TidalDb } from '../../src/index.js';
import { integerOption, invalidOption, rejectUnknownOptions } from '../../src/optionChecks.js';
import type { PeerId } from '../transport.js';
import {
  DEAD_AFTER_HEARTBEATS, DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_TCP_CAPACITY,
  DEFAULT_TCP_HOST, MAX_FRAME_BYTES_LIMIT, MAX_HANDSHAKE_FRAME_BYTES, MAX_PEER_ID_BYTES, MAX_TOKEN_BYTES, MIN_TOKEN_BYTES,
} from './tcpDefaults.js';
import { isLoopbackHost } from './isLoopbackHost.js';
import { DEFAULT_SCHEDULER } from '../defaults.js';

/** A PEM file: its path, or its bytes. */
export type PemSource = string | Buffer;

/**
 * TLS (node:tls). Without it the frames are authenticated (nobody can inject
 * or alter one) but travel in clear: anyone on the path can read the data.
 * The token itself never travels either way.
 */
export interface TcpTlsOptions {
  /** Certificate chain. Required to listen; on a follower, presented to the leader with `key` (mutual TLS). */
  readonly cert?: PemSource;
  /** Private key of `cert`. */
  readonly key?: PemSource;
  /**
   * CA bundle to verify the other side. On a follower: what signed the
   * leader's certificate (a self-signed certificate is its own CA); without
   * it, the system's CAs. On a leader: given, a follower must present a
   * certificate it signed.
   */
  readonly ca?: PemSource;
}

interface TcpOptionsBase {
  /** Leader: the address to bind. Follower: the leader's address. Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Leader: the port to bind (0: any free one, read it from `transport.port`). Follower: the leader's port. */
  readonly port: number;
  /**
   * The shared secret both ends prove they know (it never crosses the wire):
   * 16 bytes to 4 KiB; make it random (`openssl rand -hex 16`).
   */
  readonly token: string;
  readonly tls?: TcpTlsOptions;
  /** Leader: the leader database (its shard and epoch). Follower: the follower database (its shard, epoch and mark). */
  readonly db: TidalDb;
  /** Leader: segments queued per follower before `send$` waits. Follower: segments buffered before it stops reading. Default 16. */
  readonly capacity?: number;
  /** The largest frame sent or accepted, in bytes. Default 64 MiB; must exceed the largest segment. */
  readonly maxFrameBytes?: number;
  /** Heartbeat interval both ways, in ms. Default 1000. */
  readonly heartbeatMs?: number;
  /** Silence after which a peer is dead (and the handshake deadline), in ms. Default 3 × heartbeatMs. */
  readonly deadAfterMs?: number;
  /** Drives heartbeats, liveness checks and reconnect waits (sockets are real I/O). Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
}

/** Options of `TcpTransport.listen` (the leader). */
export interface TcpListenOptions extends TcpOptionsBase {
  /** Connections held at once, handshaken or not; more are refused by the OS-level accept. Default 64. */
  readonly maxConnections?: number;
  /**
   * The follower set: the peer ids this leader serves (pass what you pass to
   * `startLeader`'s `followers`). A follower with any other id is refused
   * with `UnknownPeer` once it has proved the token. Omitted: any peer id is
   * welcomed (and one the shipper does not know is shipped nothing).
   */
  readonly followers?: readonly PeerId[];
  /**
   * Allow listening on an address other machines can reach without TLS. The
   * data then travels in clear (frames are still authenticated); the
   * listener's `warnings` say so. Default false: such a listen is refused.
   */
  readonly insecure?: boolean;
}

/** Options of `TcpTransport.connect` (a follower). */
export interface TcpConnectOptions extends TcpOptionsBase {
  /** This follower's name; the leader ships to it under this id. */
  readonly peer: PeerId;
  /** Uniform draws in [0, 1) for reconnect jitter. Default Math.random. */
  readonly random?: () => number;
}

/** What a TCP transport reports on `events$`: the life of its connections. */
export type TcpTransportEvent =
  /** A handshake completed: `peer` is the follower (on both sides), `epoch` the leader's. */
  | { readonly kind: 'connected'; readonly peer: PeerId; readonly remote: string; readonly epoch: number }
  /** A connection closed, with why; `error` is set when it was a fault (a bad frame, a refusal, a dead peer, I/O). */
  | { readonly kind: 'closed'; readonly peer: PeerId | null; readonly remote: string; readonly reason: string; readonly error?: Error }
  /** A follower waits `delayMs` before connection attempt `attempt + 1`. */
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number };

/** TLS material, read. */
export interface LoadedTls {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

/** Options after defaults and validation, shared by both ends. */
export interface ResolvedTcpOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly db: TidalDb;
  readonly capacity: number;
  readonly maxFrameBytes: number;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  readonly scheduler: SchedulerLike;
  readonly tls: LoadedTls | null;
}

const BASE_KEYS = ['host', 'port', 'token', 'tls', 'db', 'capacity', 'maxFrameBytes', 'heartbeatMs', 'deadAfterMs', 'scheduler'];
const LISTEN_KEYS = new Set([...BASE_KEYS, 'maxConnections', 'followers', 'insecure']);
const CONNECT_KEYS = new Set([...BASE_KEYS, 'peer', 'random']);
const TLS_KEYS = new Set(['cert', 'key', 'ca']);

/** Listen options after defaults and validation. */
export interface ResolvedListenOptions extends ResolvedTcpOptions {
  readonly maxConnections: number;
  /** The follower set, or null to welcome any peer id. */
  readonly followers: ReadonlySet<PeerId> | null;
  /** What an operator should know about this listener's security (for the leader to print at start). */
  readonly warnings: readonly string[];
}

/** @param serves 'relay': a follower database listening for followers of its own (listenRelay) */
export async function resolveListenOptions(o: TcpListenOptions, serves: 'leader' | 'relay' = 'leader'): Promise<ResolvedListenOptions> {
  const base = await resolveBase(o, LISTEN_KEYS, 0, serves === 'relay' ? 'relay' : 'leader');
  if (base.tls && (!base.tls.cert || !base.tls.key)) throw invalid('tls needs cert and key to listen');
  if (o.insecure !== undefined && typeof o.insecure !== 'boolean') throw invalid(`insecure must be a boolean, got ${String(o.insecure)}`);
  const exposed = !base.tls && !isLoopbackHost(base.host);
  // The CLI flags that set each, so a refusal says what to type: a relay is `tidaldb follower --serve`.
  const flags = serves === 'relay' ? { tls: 'tidaldb follower --serve-tls-cert/--serve-tls-key', insecure: '--serve-insecure' } : { tls: 'tidaldb leader --tls-cert/--tls-key', insecure: '--insecure' };
  if (exposed && o.insecure !== true) {
    throw invalid(`listening on ${base.host} without TLS would let anyone on the network path read the replicated data: `
      + `pass tls: { cert, key } (${flags.tls}), or insecure: true (${flags.insecure}) on a network you trust`);
  }
  return {
    ...base,
    maxConnections: integer('maxConnections', o.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 1, 65_535),
    followers: o.followers === undefined ? null : followerSet(o.followers),
    warnings: exposed ? [`listening on ${base.host} without TLS (insecure): frames are authenticated but the data travels in clear, `
      + `readable by anyone on the network path; use TLS (${flags.tls}) off a trusted network`] : [],
  };
}

/** The follower set as given: an array of peer ids, each 1..MAX_PEER_ID_BYTES bytes. */
function followerSet(followers: unknown): ReadonlySet<PeerId> {
  if (!Array.isArray(followers)) throw invalid(`followers must be an array of peer ids, got ${typeof followers}`);
  for (const peer of followers) {
    if (typeof peer !== 'string' || peer.length === 0 || Buffer.byteLength(peer) > MAX_PEER_ID_BYTES) {
      throw invalid(`followers: each peer id must be a non-empty string of at most ${MAX_PEER_ID_BYTES} bytes, got ${JSON.stringify(peer)}`);
    }
  }
  return new Set(followers as PeerId[]);
}

export async function resolveConnectOptions(o: TcpConnectOptions): Promise<ResolvedTcpOptions & { peer: PeerId; random: () => number }> {
  const base = await resolveBase(o, CONNECT_KEYS, 1, 'follower');
  if (typeof o.peer !== 'string' || o.peer.length === 0 || Buffer.byteLength(o.peer) > MAX_PEER_ID_BYTES) {
    throw invalid(`peer must be a non-empty string of at most ${MAX_PEER_ID_BYTES} bytes, got ${JSON.stringify(o.peer)}`);
  }
  if (o.random !== undefined && typeof o.random !== 'function') throw invalid('random must be a function returning a number in [0, 1)');
  return { ...base, peer: o.peer, random: o.random ?? Math.random };
}

async function resolveBase(o: TcpOptionsBase, keys: Set<string>, minPort: number, role: 'leader' | 'relay' | 'follower'): Promise<ResolvedTcpOptions> {
  if (typeof o !== 'object' || o === null) throw invalid(`options must be an object, got ${String(o)}`);
  rejectUnknown(o, keys, 'option');
  const host = o.host ?? DEFAULT_TCP_HOST;
  if (typeof host !== 'string' || host.length === 0) throw invalid(`host must be a non-empty string, got ${String(host)}`);
  if (typeof o.token !== 'string' || Buffer.byteLength(o.token) > MAX_TOKEN_BYTES) throw invalid(`token must be a string of at most ${MAX_TOKEN_BYTES} bytes`);
  if (Buffer.byteLength(o.token) < MIN_TOKEN_BYTES) {
    throw invalid(`token must be at least ${MIN_TOKEN_BYTES} bytes, got ${Buffer.byteLength(o.token)}: use a random secret (e.g. \`openssl rand -hex 16\`)`);
  }
  if (typeof o.db?.isFollower !== 'function') throw invalid('db must be a TidalDb');
  if (o.db.isFollower() !== (role !== 'leader')) {
    throw invalid(role === 'leader' ? 'listen needs the leader database; this one is a follower'
      : role === 'relay' ? "listenRelay serves from a follower database (role 'follower'); a leader listens with TcpTransport.listen"
        : 'connect needs a follower database (role \'follower\')');
  }
  const heartbeatMs = integer('heartbeatMs', o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, 1, 2 ** 31);
  return {
    host,
    port: integer('port', o.port, minPort, 65_535),
    token: o.token,
    db: o.db,
    capacity: integer('capacity', o.capacity ?? DEFAULT_TCP_CAPACITY, 1, 2 ** 20),
    maxFrameBytes: integer('maxFrameBytes', o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, MAX_HANDSHAKE_FRAME_BYTES, MAX_FRAME_BYTES_LIMIT),
    heartbeatMs,
    deadAfterMs: integer('deadAfterMs', o.deadAfterMs ?? DEAD_AFTER_HEARTBEATS * heartbeatMs, heartbeatMs + 1, 2 ** 31),
    scheduler: o.scheduler ?? DEFAULT_SCHEDULER,
    tls: o.tls === undefined ? null : await loadTls(o.tls),
  };
}

/** Reads each PEM given as a path; keeps each given as bytes. */
export async function loadTls(tls: TcpTlsOptions): Promise<LoadedTls> {
  if (typeof tls !== 'object' || tls === null) throw invalid('tls must be an object of cert, key and ca');
  rejectUnknown(tls, TLS_KEYS, 'tls option');
  const read = async (field: keyof TcpTlsOptions): Promise<Buffer | undefined> => {
    const source = tls[field];
    if (source === undefined) return undefined;
    if (Buffer.isBuffer(source)) return source;
    if (typeof source !== 'string' || source.length === 0) throw invalid(`tls.${field} must be a file path or a Buffer`);
    try {
      return await readFile(source);
    } catch (cause) {
      throw new TidalError('InvalidInput', `tls.${field}: cannot read ${JSON.stringify(source)} (${(cause as Error).message})`, { cause });
    }
  };
  // One after another, so the error for a bad option always names the first bad field.
  const cert = await read('cert');
  const key = await read('key');
  const ca = await read('ca');
  if ((cert === undefined) !== (key === undefined)) throw invalid('tls.cert and tls.key go together');
  return { ...(cert && { cert }), ...(key && { key }), ...(ca && { ca }) };
}

const integer = integerOption;
const rejectUnknown = rejectUnknownOptions;
const invalid = invalidOption;
