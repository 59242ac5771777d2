/**
 * The handshake's messages and checks, as pure functions (the proofs
 * themselves are in handshakeProof.ts): what each side says, and what it
 * checks before it trusts the other.
 *
 *   follower ── hello { v, peer, shardId, epoch, appliedSeq, nonce } ──▶ leader   version
 *   follower ◀── challenge { v, nonce } ────────────────────────────── leader
 *   follower ── proof { HMAC(key, follower, transcript) } ───────────▶ leader   proof, shard, follower set, peer in use
 *   follower ◀── welcome { v, epoch, HMAC(key, leader, transcript, epoch) } ─   (or refuse { reason, code } + close)
 *   follower: the leader's proof, then its epoch (older than mine → refuse + close, reconnect later)
 */
import { TidalError, type TidalDb } from '../../src/index.js';
import { TCP_PROTOCOL_VERSION } from './tcpDefaults.js';
import type { ChallengeMessage, HelloMessage, OtherVersionMessage, WelcomeMessage } from './tcpMessages.js';
import type { PeerId } from '../transport.js';

/**
 * The leadership epoch of `db`: `db.epoch` where the database has one,
 * else 0 (a database from before epochs is in epoch 0).
 */
export function epochOf(db: TidalDb): number {
  const epoch: unknown = (db as { epoch?: unknown }).epoch;
  return typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : 0;
}

/** The hello a follower opens with: its name, where it stands now, and its nonce for this connection. No secret. */
export function helloFor(db: TidalDb, peer: PeerId, nonce: Uint8Array): HelloMessage {
  return { t: 'hello', v: TCP_PROTOCOL_VERSION, peer, shardId: db.shardId, epoch: epochOf(db), appliedSeq: db.lastSeq, nonce };
}

/** The leader's answer to a hello of its version: its nonce, and nothing about itself. */
export function challengeFor(nonce: Uint8Array): ChallengeMessage {
  return { t: 'challenge', v: TCP_PROTOCOL_VERSION, nonce };
}

/** The welcome a leader answers a good proof with: its epoch, and its proof over the transcript and that epoch. */
export function welcomeFor(db: TidalDb, proof: Uint8Array): WelcomeMessage {
  return { t: 'welcome', v: TCP_PROTOCOL_VERSION, epoch: epochOf(db), proof };
}

/** A peer of another protocol version: ConfigMismatch naming both versions. */
export function versionRefusal(m: OtherVersionMessage): TidalError {
  const them = m.of === 'hello' ? 'a follower' : 'the leader';
  const us = m.of === 'hello' ? 'this leader' : 'this follower';
  return new TidalError('ConfigMismatch', `${them} speaks protocol v${m.v}, ${us} v${TCP_PROTOCOL_VERSION}: run the same tidaldb version on both`);
}

/** What the leader checks a proven hello against. */
export interface HelloChecks {
  readonly shardId: number;
  /** The follower set; null or absent: any peer id. */
  readonly followers?: ReadonlySet<PeerId> | null;
}

/**
 * Why the leader refuses a hello whose follower has proved the token, or
 * null to welcome it. Nothing here is checked before the proof: a peer
 * without the token learns nothing about the leader (not its shard, not
 * whether its peer id is in the set).
 */
export function helloRefusal(hello: HelloMessage, leader: HelloChecks): TidalError | null {
  if (hello.shardId !== leader.shardId) {
    return new TidalError('ConfigMismatch', `peer ${JSON.stringify(hello.peer)} holds shard ${hello.shardId}, this leader shard ${leader.shardId}`);
  }
  return unknownPeerRefusal(hello.peer, leader.followers ?? null);
}

/** 8 ids: enough to spot a typo in a refusal, short enough for one line. */
const LISTED_FOLLOWERS = 8;

/** `UnknownPeer` when `peer` is not in `followers` (null: every peer is known), naming the set so a typo shows. */
export function unknownPeerRefusal(peer: PeerId, followers: ReadonlySet<PeerId> | null): TidalError | null {
  if (followers === null || followers.has(peer)) return null;
  const ids = [...followers].slice(0, LISTED_FOLLOWERS).map((id) => JSON.stringify(id));
  const more = followers.size > LISTED_FOLLOWERS ? `, … (${followers.size} in all)` : '';
  const set = followers.size === 0 ? 'its follower set is empty' : `it ships to ${ids.join(', ')}${more}`;
  return new TidalError('UnknownPeer', `peer id ${JSON.stringify(peer)} is not in this leader's follower set (${set})`);
}

/** Why the follower refuses the leader that sent a proven `welcome`, or null to follow it. */
export function welcomeRefusal(welcome: WelcomeMessage, followerEpoch: number): TidalError | null {
  if (welcome.epoch < followerEpoch) {
    return new TidalError('Fenced', `leader is in epoch ${welcome.epoch}, behind this follower's epoch ${followerEpoch}: a deposed leader`);
  }
  return null;
}
