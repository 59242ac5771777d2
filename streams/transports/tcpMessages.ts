/**
 * The messages of the TCP transport: one msgpack map a frame, tagged by `t`.
 * Pure: values in, bytes out and back. Every field of a received message is
 * checked here, by name, before anything else sees it; nothing a peer sends
 * is trusted (a segment's checksum is only carried: validateChecksum
 * re-verifies it downstream). The byte layout is in docs/tcp-protocol.md.
 */
import { Packr } from 'msgpackr';
import { Checksum, TidalError, WalError, type LeaderStatus, type WalSegmentPayload } from '../../src/index.js';
import { type CheckpointShipment, isCheckpoint, type Shipment } from '../shipment.js';
import { encodeFrame } from './frameCodec.js';
import { MAX_PEER_ID_BYTES, NONCE_BYTES, PROOF_BYTES, TCP_PROTOCOL_VERSION } from './tcpDefaults.js';
import { corrupt, countValue, cutAtCodePoint, finiteValue, show } from './messageFields.js';

/** Follower → leader, first frame: who I am, my shard, epoch and mark, and my nonce. No secret. */
export interface HelloMessage {
  readonly t: 'hello';
  readonly v: number;
  readonly peer: string;
  readonly shardId: number;
  readonly epoch: number;
  readonly appliedSeq: number;
  /** 32 random bytes, fresh for this connection. */
  readonly nonce: Uint8Array;
}
/** Leader → follower, the answer to a hello: the leader's nonce. Nothing else about the leader. */
export interface ChallengeMessage { readonly t: 'challenge'; readonly v: number; readonly nonce: Uint8Array }
/** Follower → leader: HMAC over the transcript, proving the follower knows the token (handshakeProof.ts). */
export interface ProofMessage { readonly t: 'proof'; readonly proof: Uint8Array }
/** Leader → follower, the answer to a good proof: the leader's epoch, and its own proof over the transcript and that epoch. */
export interface WelcomeMessage { readonly t: 'welcome'; readonly v: number; readonly epoch: number; readonly proof: Uint8Array }
/**
 * A hello, challenge or welcome of another protocol version, as read: only
 * its version (the rest is that version's business; a v1 hello carries its
 * token in clear, which is never read). Never sent.
 */
export interface OtherVersionMessage { readonly t: 'otherVersion'; readonly of: 'hello' | 'challenge' | 'welcome'; readonly v: number }
/**
 * Either side, last frame before it closes: why, and the error code the
 * refused side should raise (e.g. 'UnknownPeer'); a refusal from an older
 * peer has no code.
 */
export interface RefuseMessage { readonly t: 'refuse'; readonly reason: string; readonly code?: string }
/** Leader → follower: one sealed segment. */
export interface SegmentMessage {
  readonly t: 'segment';
  readonly shardId: number;
  readonly segmentId: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly sealedAtMs: number;
  readonly bytes: Uint8Array;
  /** 32 raw BLAKE3 bytes. */
  readonly checksum: Uint8Array;
}
/** Leader → follower: a checkpoint for a follower behind what the leader retains. */
export interface CheckpointMessage {
  readonly t: 'checkpoint';
  readonly shardId: number;
  readonly seq: number;
  readonly bytes: Uint8Array;
  /** 32 raw BLAKE3 bytes. */
  readonly checksum: Uint8Array;
}
/** Follower → leader: an ack or a re-send request (the peer is the connection's, never the frame's). */
export interface FeedbackMessage {
  readonly t: 'feedback';
  readonly kind: 'ack' | 'resend';
  readonly appliedSeq: number;
  /** Absent from a follower before quorum acks: the leader counts its appliedSeq as durable. When present, >= appliedSeq. */
  readonly durableSeq?: number;
  readonly receivedSeq: number;
  readonly atMs: number;
}
/** Leader → follower: the leader's position. */
export interface StatusMessage { readonly t: 'status'; readonly lastSeq: number; readonly atMs: number }
/** Both ways, every heartbeatMs once connected. */
export interface HeartbeatMessage { readonly t: 'heartbeat'; readonly atMs: number }

/** Every message of the protocol, tagged by `t`. */
export type TcpMessage =
  | HelloMessage | ChallengeMessage | ProofMessage | WelcomeMessage | OtherVersionMessage | RefuseMessage
  | SegmentMessage | CheckpointMessage | FeedbackMessage | StatusMessage | HeartbeatMessage;

/** 1 KiB: a refusal reason is one sentence; a longer one is cut, not refused. */
const MAX_REASON_CHARS = 1024;

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The frame (length prefix + msgpack body) carrying `message`, unsealed (a handshake frame, or any frame over TLS). */
export function encodeMessage(message: TcpMessage, maxFrameBytes: number): Buffer {
  return encodeFrame(encodeBody(message, maxFrameBytes), maxFrameBytes);
}

/**
 * The msgpack body of `message`, for a connection to frame (and seal).
 * @param overheadBytes what sealing adds to the body in the frame (SEALED_OVERHEAD_BYTES), or 0
 * @throws TidalError InvalidInput when the frame would be larger than `maxFrameBytes` (the peer would refuse it)
 */
export function encodeBody(message: TcpMessage, maxFrameBytes: number, overheadBytes = 0): Uint8Array {
  if (message.t === 'otherVersion') throw new TidalError('InvalidInput', 'an otherVersion message is only ever decoded, never sent');
  const body = packr.pack(message);
  if (body.length + overheadBytes > maxFrameBytes) {
    const sealing = overheadBytes > 0 ? `, with ${overheadBytes} bytes of seq and MAC` : '';
    throw new TidalError('InvalidInput', `frame body of ${body.length} bytes is outside 1..maxFrameBytes (${maxFrameBytes}${sealing})`);
  }
  return body;
}

/** The frame message for a shipment: a segment or a checkpoint, the checksum as its 32 raw bytes. */
export function shipmentMessage(s: Shipment): SegmentMessage | CheckpointMessage {
  if (!isCheckpoint(s)) return segmentMessage(s);
  return { t: 'checkpoint', shardId: s.shardId, seq: s.seq, bytes: s.bytes, checksum: s.checksum.bytes };
}

/** The shipment a checkpoint frame carries, with its checksum rebuilt (and not yet verified). */
export function checkpointPayload(m: CheckpointMessage): CheckpointShipment {
  const bytes = new Uint8Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
  return { kind: 'checkpoint', shardId: m.shardId, seq: m.seq, bytes, checksum: Checksum.fromBytes(m.checksum) };
}

/** The segment frame for `segment`: the checksum travels as its 32 raw bytes. */
export function segmentMessage(segment: WalSegmentPayload): SegmentMessage {
  const { shardId, segmentId, firstSeq, lastSeq, sealedAtMs, bytes } = segment;
  return { t: 'segment', shardId, segmentId, firstSeq, lastSeq, sealedAtMs, bytes, checksum: segment.checksum.bytes };
}

/** The payload a segment frame carries, with its checksum rebuilt (and not yet verified). */
export function segmentPayload(m: SegmentMessage): WalSegmentPayload {
  const { shardId, segmentId, firstSeq, lastSeq, sealedAtMs } = m;
  const bytes = new Uint8Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
  return { shardId, segmentId, firstSeq, lastSeq, sealedAtMs, bytes, checksum: Checksum.fromBytes(m.checksum) };
}

/**
 * Decodes and checks one frame body.
 * @throws WalError Corruption naming the field at fault (bad msgpack, unknown `t`, a missing or mistyped field)
 */
export function decodeMessage(body: Uint8Array): TcpMessage {
  let value: unknown;
  try {
    value = packr.unpack(body);
  } catch (cause) {
    throw new WalError('Corruption', `frame body is not one msgpack value (${(cause as Error).message})`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt('frame body is not a map');
  const m = value as Record<string, unknown>;
  switch (m['t']) {
    case 'hello': {
      const v = count(m, 'v');
      if (v !== TCP_PROTOCOL_VERSION) return { t: 'otherVersion', of: 'hello', v };
      return {
        t: 'hello', v, peer: text(m, 'peer', MAX_PEER_ID_BYTES),
        shardId: count(m, 'shardId'), epoch: count(m, 'epoch'), appliedSeq: count(m, 'appliedSeq'), nonce: binary(m, 'nonce', NONCE_BYTES),
      };
    }
    case 'challenge': {
      const v = count(m, 'v');
      return v === TCP_PROTOCOL_VERSION ? { t: 'challenge', v, nonce: binary(m, 'nonce', NONCE_BYTES) } : { t: 'otherVersion', of: 'challenge', v };
    }
    case 'proof': return { t: 'proof', proof: binary(m, 'proof', PROOF_BYTES) };
    case 'welcome': {
      const v = count(m, 'v');
      if (v !== TCP_PROTOCOL_VERSION) return { t: 'otherVersion', of: 'welcome', v };
      return { t: 'welcome', v, epoch: count(m, 'epoch'), proof: binary(m, 'proof', PROOF_BYTES) };
    }
    case 'refuse': return refuseOf(m);
    case 'segment': return {
      t: 'segment', shardId: count(m, 'shardId'), segmentId: count(m, 'segmentId'), firstSeq: count(m, 'firstSeq'),
      lastSeq: count(m, 'lastSeq'), sealedAtMs: finite(m, 'sealedAtMs'), bytes: binary(m, 'bytes'), checksum: binary(m, 'checksum'),
    };
    case 'checkpoint': return {
      t: 'checkpoint', shardId: count(m, 'shardId'), seq: count(m, 'seq'), bytes: binary(m, 'bytes'), checksum: binary(m, 'checksum'),
    };
    case 'feedback': return feedbackOf(m);
    case 'status': return { t: 'status', lastSeq: count(m, 'lastSeq'), atMs: finite(m, 'atMs') };
    case 'heartbeat': return { t: 'heartbeat', atMs: finite(m, 'atMs') };
    default: throw corrupt(`unknown message type t=${show(m['t'])}`);
  }
}

/** The leader status a status frame announces. */
export function statusOf(m: StatusMessage): LeaderStatus {
  return { lastSeq: m.lastSeq, atMs: m.atMs };
}

function count(m: Record<string, unknown>, field: string): number {
  return countValue(m[field], `${label(m)}.${field}`);
}

function finite(m: Record<string, unknown>, field: string): number {
  return finiteValue(m[field], `${label(m)}.${field}`);
}

function text(m: Record<string, unknown>, field: string, maxBytes: number): string {
  const v = m[field];
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > maxBytes) {
    throw corrupt(`${label(m)}.${field} must be a non-empty string of at most ${maxBytes} bytes, got ${show(v)}`);
  }
  return v;
}

/** A bin field; with `exactBytes`, of exactly that length (a nonce, a proof). */
function binary(m: Record<string, unknown>, field: string, exactBytes?: number): Uint8Array {
  const v = m[field];
  if (!(v instanceof Uint8Array)) throw corrupt(`${label(m)}.${field} must be binary, got ${show(v)}`);
  if (exactBytes !== undefined && v.length !== exactBytes) throw corrupt(`${label(m)}.${field} must be ${exactBytes} bytes, got ${v.length}`);
  return v;
}

/** 32 characters: an error code is one CamelCase word such as 'ConfigMismatch'. */
const MAX_CODE_CHARS = 32;

function refuseOf(m: Record<string, unknown>): RefuseMessage {
  const code = m['code'];
  if (code === undefined) return { t: 'refuse', reason: reason(m) };
  if (typeof code !== 'string' || !/^[A-Za-z]+$/.test(code) || code.length > MAX_CODE_CHARS) {
    throw corrupt(`refuse.code must be a word of 1..${MAX_CODE_CHARS} letters, got ${show(code)}`);
  }
  return { t: 'refuse', reason: reason(m), code };
}

function reason(m: Record<string, unknown>): string {
  const v = m['reason'];
  if (typeof v !== 'string') throw corrupt(`refuse.reason must be a string, got ${show(v)}`);
  return cutAtCodePoint(v, MAX_REASON_CHARS);
}


/** A feedback frame; `durableSeq`, when there, is a count no lower than `appliedSeq` (the follower stores before it applies). */
function feedbackOf(m: Record<string, unknown>): FeedbackMessage {
  const kind = feedbackKind(m);
  const appliedSeq = count(m, 'appliedSeq');
  const receivedSeq = count(m, 'receivedSeq');
  const atMs = finite(m, 'atMs');
  if (m['durableSeq'] === undefined) return { t: 'feedback', kind, appliedSeq, receivedSeq, atMs };
  const durableSeq = count(m, 'durableSeq');
  if (durableSeq < appliedSeq) throw corrupt(`feedback.durableSeq ${durableSeq} is below appliedSeq ${appliedSeq}: a follower stores before it applies`);
  return { t: 'feedback', kind, appliedSeq, durableSeq, receivedSeq, atMs };
}

function feedbackKind(m: Record<string, unknown>): 'ack' | 'resend' {
  const v = m['kind'];
  if (v !== 'ack' && v !== 'resend') throw corrupt(`feedback.kind must be 'ack' or 'resend', got ${show(v)}`);
  return v;
}

function label(m: Record<string, unknown>): string {
  return String(m['t']);
}
