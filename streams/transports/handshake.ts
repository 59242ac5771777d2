/**
 * The handshake, as pure functions: what a follower says first, and what
 * each side checks before it trusts the other.
 *
 *   follower ── hello { v, peer, token, shardId, epoch, appliedSeq } ──▶ leader
 *                    token (constant time), then version, then shard
 *   follower ◀── welcome { v, epoch }  |  refuse { reason } + close ─── leader
 *   follower: leader epoch < mine → refuse + close, reconnect later
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TidalError, type TidalDb } from '../../src/index.js';
import { TCP_PROTOCOL_VERSION } from './tcpDefaults.js';
import type { HelloMessage, WelcomeMessage } from './tcpMessages.js';
import type { PeerId } from '../transport.js';

/**
 * The leadership epoch of `db`: `db.epoch` where the database has one,
 * else 0 (a database from before epochs is in epoch 0).
 */
export function epochOf(db: TidalDb): number {
  const epoch: unknown = (db as { epoch?: unknown }).epoch;
  return typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : 0;
}

/** The hello a follower opens with: its name, the shared secret, and where it stands now. */
export function helloFor(db: TidalDb, peer: PeerId, token: string): HelloMessage {
  return { t: 'hello', v: TCP_PROTOCOL_VERSION, peer, token, shardId: db.shardId, epoch: epochOf(db), appliedSeq: db.lastSeq };
}

/** The welcome a leader answers a good hello with. */
export function welcomeFor(db: TidalDb): WelcomeMessage {
  return { t: 'welcome', v: TCP_PROTOCOL_VERSION, epoch: epochOf(db) };
}

/**
 * True when the two tokens are equal, in time that does not depend on where
 * they differ: both are hashed with SHA-256 first, so `timingSafeEqual`
 * compares equal-length buffers and the length of the secret does not leak either.
 */
export function tokensMatch(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** What the leader checks a hello against. */
export interface HelloChecks {
  readonly token: string;
  readonly shardId: number;
  /** The follower set; null or absent: any peer id. */
  readonly followers?: ReadonlySet<PeerId> | null;
}

/**
 * Why the leader refuses `hello`, or null to welcome it. The token is checked
 * first: a peer without it learns nothing else about the leader (not even
 * whether its peer id is in the set).
 */
export function helloRefusal(hello: HelloMessage, leader: HelloChecks): TidalError | null {
  if (!tokensMatch(hello.token, leader.token)) return new TidalError('InvalidInput', `peer ${JSON.stringify(hello.peer)} presented a bad token`);
  if (hello.v !== TCP_PROTOCOL_VERSION) {
    return new TidalError('ConfigMismatch', `peer ${JSON.stringify(hello.peer)} speaks protocol v${hello.v}, this leader v${TCP_PROTOCOL_VERSION}`);
  }
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

/** Why the follower refuses the leader that sent `welcome`, or null to follow it. */
export function welcomeRefusal(welcome: WelcomeMessage, followerEpoch: number): TidalError | null {
  if (welcome.v !== TCP_PROTOCOL_VERSION) {
    return new TidalError('ConfigMismatch', `leader speaks protocol v${welcome.v}, this follower v${TCP_PROTOCOL_VERSION}`);
  }
  if (welcome.epoch < followerEpoch) {
    return new TidalError('Fenced', `leader is in epoch ${welcome.epoch}, behind this follower's epoch ${followerEpoch}: a deposed leader`);
  }
  return null;
}
