/**
 * The JetStream transport's names, as pure functions: the stream, its one
 * subject, the per-peer core-NATS subjects and the durable consumer name.
 *
 *   stream    tidaldb-shard-<shard>           subjects: [tidaldb.<shard>.shipments]
 *   leader ─▶ tidaldb.<shard>.shipments        (stored: segments, checkpoints, re-sends)
 *   leader ─▶ tidaldb.<shard>.status.<peer>    (core NATS, lossy)
 *   leader ◀─ tidaldb.<shard>.feedback.<peer>  (core NATS, lossy)
 *   consumer  <peer>                           durable, pull, on tidaldb.<shard>.shipments
 *
 * A peer id made only of letters, digits and '-' is its own token; any
 * other is '_' and the hex of its UTF-8 bytes (subjects and consumer names
 * cannot hold '.', '*', '>', spaces or path separators). The two forms
 * never meet: a plain token never holds '_'.
 */
import { TidalError } from '../../src/index.js';
import type { PeerId } from '../transport.js';
import { MAX_JETSTREAM_PEER_ID_BYTES } from './jetStreamDefaults.js';

/** The names one shard's replication uses on a NATS server. */
export interface JetStreamNames {
  readonly stream: string;
  /** The stream's only subject: every shipment, for every follower. */
  readonly shipments: string;
  /** What the leader subscribes to: every follower's feedback. */
  readonly feedbackWildcard: string;
  feedback(peer: PeerId): string;
  status(peer: PeerId): string;
  /** The durable consumer of `peer`. */
  consumer(peer: PeerId): string;
  /** The peer a feedback subject names, or null for a subject not of this shard or a malformed token. */
  peerOfFeedbackSubject(subject: string): PeerId | null;
}

const PLAIN_TOKEN = /^[A-Za-z0-9-]+$/;
const HEX_TOKEN = /^_(?:[0-9a-f]{2})+$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The names for shard `shardId` under `prefix`, in stream `stream`.
 *
 * @example
 * jetStreamNames('tidaldb', 3, 'tidaldb-shard-3').feedback('replica 1');
 * // → 'tidaldb.3.feedback._7265706c6963612031'
 */
export function jetStreamNames(prefix: string, shardId: number, stream: string): JetStreamNames {
  const base = `${prefix}.${shardId}`;
  const feedbackBase = `${base}.feedback.`;
  return {
    stream,
    shipments: `${base}.shipments`,
    feedbackWildcard: `${feedbackBase}*`,
    feedback: (peer) => feedbackBase + peerToken(peer),
    status: (peer) => `${base}.status.${peerToken(peer)}`,
    consumer: (peer) => peerToken(peer),
    peerOfFeedbackSubject: (subject) => (subject.startsWith(feedbackBase) ? peerOfToken(subject.slice(feedbackBase.length)) : null),
  };
}

/** `peer` as one subject token (see the file comment); InvalidInput for an empty, over-long or ill-formed id. */
export function peerToken(peer: PeerId): string {
  const bytes = Buffer.from(peer, 'utf8');
  if (bytes.toString('utf8') !== peer) throw new TidalError('InvalidInput', `peer id ${JSON.stringify(peer)} is not well-formed Unicode (a lone surrogate)`);
  if (bytes.length === 0 || bytes.length > MAX_JETSTREAM_PEER_ID_BYTES) {
    throw new TidalError('InvalidInput', `peer id ${JSON.stringify(peer)} must be 1..${MAX_JETSTREAM_PEER_ID_BYTES} bytes of UTF-8, got ${bytes.length}`);
  }
  return PLAIN_TOKEN.test(peer) ? peer : `_${bytes.toString('hex')}`;
}

/** The peer id a token stands for, or null when it is not one `peerToken` makes. */
export function peerOfToken(token: string): PeerId | null {
  if (PLAIN_TOKEN.test(token)) return token.length <= MAX_JETSTREAM_PEER_ID_BYTES ? token : null;
  if (!HEX_TOKEN.test(token) || (token.length - 1) / 2 > MAX_JETSTREAM_PEER_ID_BYTES) return null;
  const peer = Buffer.from(token.slice(1), 'hex').toString('utf8');
  return peerToken(peer) === token ? peer : null; // refuses ill-formed UTF-8 and hex of a plain id
}

/** InvalidInput naming the option unless `prefix` is dot-separated tokens of letters, digits, '_' and '-'. */
export function checkSubjectPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !SUBJECT_PREFIX.test(prefix)) {
    throw new TidalError('InvalidInput', `subjectPrefix must be dot-separated tokens of letters, digits, '_' and '-' (no wildcards), got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** InvalidInput naming the option unless `stream` is a valid JetStream stream name. */
export function checkStreamName(stream: unknown): string {
  if (typeof stream !== 'string' || !STREAM_NAME.test(stream)) {
    throw new TidalError('InvalidInput', `stream must be 1..200 letters, digits, '_' or '-', got ${JSON.stringify(stream)}`);
  }
  return stream;
}
