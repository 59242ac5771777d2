/**
 * What `tidaldb leader` runs with, and the checks that make a bad
 * combination a usage error (exit 2) before anything is opened.
 */
import type { HalfLifeOption } from '../../src/index.js';
import { MAX_PEER_ID_BYTES, MIN_TOKEN_BYTES } from '../transports/tcpDefaults.js';
import { CliError, ExitCode } from './cliIo.js';
import type { FollowerNatsOptions } from './followerNats.js';
import type { HostPort } from './parseHostPort.js';

/** TLS files, as paths (TcpTransport reads them): `cert` and `key` to listen, `ca` to require client certificates. */
export interface LeaderTls {
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

export interface LeaderRunOptions {
  /** The leader's directory; created if missing. Locked while the leader runs. */
  readonly dir: string;
  /** Where followers connect (port 0 picks a free one; the first line says which). This or `nats`. */
  readonly listen?: HostPort;
  /** Ship through NATS JetStream instead (docs/jetstream.md): the servers, and the stream and subject prefix if not the defaults. This or `listen`. */
  readonly nats?: FollowerNatsOptions;
  /** The follower set: peer ids the leader ships to, as each follower's `--peer` names it. */
  readonly followers: readonly string[];
  /** The shared secret followers prove they hold (at least 16 bytes). Required with `listen`; not used with `nats` (the NATS server authorizes). */
  readonly token: string | undefined;
  /** Listen off loopback without TLS (frames are still authenticated, not encrypted). */
  readonly insecure?: boolean;
  readonly tls?: LeaderTls;
  readonly metrics?: HostPort;
  /** Seal and ship every this many ms. Default DEFAULT_SHIP_INTERVAL_MS (2000). */
  readonly shipIntervalMs?: number;
  /** 'tick' (default): seal and ship every shipIntervalMs; 'commit': as each write commits (see LeaderOptions.shipOn). */
  readonly shipOn?: 'tick' | 'commit';
  /** Print a status line this often, in ms. Default 1000. */
  readonly statusIntervalMs?: number;
  /** NDJSON to write into the database: a file path, or `-` for stdin. */
  readonly ingest?: string;
  /** A bad ingest line stops the run (exit 1) instead of being skipped. */
  readonly strict?: boolean;
  /** Once ingest (if any) is done and every follower has acked the leader's lastSeq, stop and exit 0. */
  readonly exitWhenSynced?: boolean;
  /** Half-lives for a new directory (an existing one must agree). Default: what the directory records, or one day. */
  readonly halfLifeMs?: HalfLifeOption;
}

/**
 * Checks what can be checked without opening anything, and returns the
 * token. Throws a Usage CliError naming the flag.
 */
export function checkLeaderOptions(o: LeaderRunOptions): string {
  if (!o.listen === !o.nats) throw usage('give --listen HOST:PORT (over TCP) or --nats URL (over JetStream), one of them');
  if (o.nats) checkNatsOptions(o, o.nats);
  else checkToken(o.token);
  if (o.followers.length === 0) throw usage('at least one --follower ID is required: the peer ids this leader ships to');
  const seen = new Set<string>();
  for (const peer of o.followers) {
    if (peer.length === 0 || Buffer.byteLength(peer) > MAX_PEER_ID_BYTES) {
      throw usage(`--follower ${JSON.stringify(peer)}: a peer id is 1..${MAX_PEER_ID_BYTES} bytes`);
    }
    if (seen.has(peer)) throw usage(`--follower ${JSON.stringify(peer)} is given twice`);
    seen.add(peer);
  }
  if (o.tls && (o.tls.cert === undefined) !== (o.tls.key === undefined)) throw usage('--tls-cert and --tls-key go together');
  if (o.tls?.ca !== undefined && o.tls.cert === undefined) throw usage('--tls-ca (require client certificates) needs --tls-cert and --tls-key');
  if (o.strict && o.ingest === undefined) throw usage('--strict applies to --ingest, which is not given');
  return o.nats ? '' : o.token!;
}

function checkToken(token: string | undefined): void {
  if (!token) throw usage('a token is required: pass --token-file, set TIDALDB_TOKEN, or pass --token');
  if (Buffer.byteLength(token) < MIN_TOKEN_BYTES) {
    throw usage(`the token is ${Buffer.byteLength(token)} bytes; at least ${MIN_TOKEN_BYTES} are required: use a random secret (e.g. \`openssl rand -hex 16\`)`);
  }
}

/** With --nats: a server URL at least, and none of the TCP listener's flags. */
function checkNatsOptions(o: LeaderRunOptions, nats: FollowerNatsOptions): void {
  if (nats.servers.length === 0) throw usage('--nats needs at least one server URL');
  if (o.tls || o.insecure) throw usage('--tls-cert, --tls-key, --tls-ca and --insecure are for --listen, not --nats');
}

function usage(message: string): CliError {
  return new CliError(ExitCode.Usage, `leader: ${message}`);
}
