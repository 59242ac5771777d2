/**
 * The cryptography of the protocol v2 handshake, as pure functions: bytes
 * in, bytes out. Both sides prove they know the shared token without
 * sending it, in the manner of SCRAM: each proof is an HMAC-SHA-256, under a
 * key derived from the token, over a transcript of this connection (both
 * nonces, the follower's peer id, shard, epoch and mark, the protocol
 * version, and with TLS the channel binding).
 *
 *   authKey  = HKDF-SHA-256(ikm = token, salt = "tidaldb/2 token", info = "auth", 32 bytes)
 *   th       = SHA-256(transcript)
 *   follower proof = HMAC(authKey, "tidaldb/2 follower proof" ‖ th)
 *   leader proof   = HMAC(authKey, "tidaldb/2 leader proof" ‖ th ‖ u64 leader epoch)
 *   frame keys     = HKDF-SHA-256(ikm = authKey, salt = th, info = "tidaldb/2 frames leader->follower" | "… follower->leader", 32 bytes)
 *
 * A proof is good for one transcript only, and each side puts a fresh
 * 32-byte random nonce in every transcript, so a captured handshake
 * replayed later fails. Someone who sees a proof can test guesses of the
 * token against it offline; tokens are therefore random secrets of at least
 * 16 bytes (MIN_TOKEN_BYTES), not passwords. The layout is in
 * docs/tcp-protocol.md ("Handshake").
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { NONCE_BYTES, TCP_PROTOCOL_VERSION } from './tcpDefaults.js';

/** What each side knows of a connection when it proves itself; both must agree byte for byte. */
export interface HandshakeTranscript {
  readonly version: number;
  readonly peer: string;
  readonly shardId: number;
  /** The follower's epoch and mark, as its hello said. */
  readonly epoch: number;
  readonly appliedSeq: number;
  readonly followerNonce: Uint8Array;
  readonly leaderNonce: Uint8Array;
  /** TLS exported keying material (RFC 5705, see channelBinding), or empty without TLS. */
  readonly channelBinding: Uint8Array;
}

/** The two per-connection frame keys, one per direction (a frame cannot be reflected back to its sender). */
export interface FrameKeys {
  readonly leaderToFollower: Buffer;
  readonly followerToLeader: Buffer;
}

/** RFC 5705 exporter label of the channel binding (as PostgreSQL's tls-exporter binding, RFC 9266). */
export const CHANNEL_BINDING_LABEL = 'EXPORTER-tidaldb-v2-channel-binding';
const KEY_BYTES = 32;

/** The key both proofs are made with: derived from the token once per transport, never sent. */
export function deriveAuthKey(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), 'tidaldb/2 token', 'auth', KEY_BYTES));
}

/**
 * SHA-256 of the transcript's fixed layout:
 * "tidaldb/2 transcript" ‖ u8 version ‖ u8 len ‖ peer ‖ u64 shardId ‖ u64 epoch ‖ u64 appliedSeq
 * ‖ 32 B follower nonce ‖ 32 B leader nonce ‖ u8 len ‖ channel binding. Integers big-endian.
 */
export function transcriptHash(t: HandshakeTranscript): Buffer {
  const peer = Buffer.from(t.peer, 'utf8');
  const numbers = Buffer.alloc(24);
  numbers.writeBigUInt64BE(BigInt(t.shardId), 0);
  numbers.writeBigUInt64BE(BigInt(t.epoch), 8);
  numbers.writeBigUInt64BE(BigInt(t.appliedSeq), 16);
  return createHash('sha256')
    .update('tidaldb/2 transcript')
    .update(Uint8Array.of(t.version & 0xff, peer.length))
    .update(peer)
    .update(numbers)
    .update(t.followerNonce)
    .update(t.leaderNonce)
    .update(Uint8Array.of(t.channelBinding.length))
    .update(t.channelBinding)
    .digest();
}

/** The follower's proof: sent in `proof`, after the leader's challenge. */
export function followerProof(authKey: Uint8Array, th: Uint8Array): Buffer {
  return createHmac('sha256', authKey).update('tidaldb/2 follower proof').update(th).digest();
}

/** The leader's proof: sent in `welcome`; it covers the epoch the welcome announces. */
export function leaderProof(authKey: Uint8Array, th: Uint8Array, leaderEpoch: number): Buffer {
  const epoch = Buffer.alloc(8);
  epoch.writeBigUInt64BE(BigInt(leaderEpoch));
  return createHmac('sha256', authKey).update('tidaldb/2 leader proof').update(th).update(epoch).digest();
}

/** True when `presented` is `expected`, in time that does not depend on where they differ. */
export function proofsMatch(presented: Uint8Array, expected: Uint8Array): boolean {
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** The frame keys of a connection whose handshake had transcript hash `th`. */
export function frameKeys(authKey: Uint8Array, th: Uint8Array): FrameKeys {
  const key = (info: string) => Buffer.from(hkdfSync('sha256', authKey, th, info, KEY_BYTES));
  return { leaderToFollower: key('tidaldb/2 frames leader->follower'), followerToLeader: key('tidaldb/2 frames follower->leader') };
}

/** A transcript with this end's version filled in (the only one it speaks). */
export function transcriptOf(fields: Omit<HandshakeTranscript, 'version'>): HandshakeTranscript {
  // The decoder lets only NONCE_BYTES-long nonces through: anything else here is a bug.
  assert.equal(fields.followerNonce.length, NONCE_BYTES);
  assert.equal(fields.leaderNonce.length, NONCE_BYTES);
  return { ...fields, version: TCP_PROTOCOL_VERSION };
}
