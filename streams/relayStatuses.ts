/**
 * What a shipper announces to its followers on each tick (bounded
 * staleness, lag in events): a pure function of the node's position.
 *
 * A leader announces itself: `{ lastSeq, atMs: now }`. A relay (a follower
 * serving followers of its own, docs/cascading.md) has nothing of its own
 * to announce; it passes on what it knows of the origin leader, so lag and
 * staleness downstream are end to end:
 *
 * 1. its own position, fresh as of an older time: `{ lastSeq, atMs: now −
 *    stalenessMs }`. It holds everything the origin had written by then, so
 *    a follower that has applied `lastSeq` holds it too (only once it has
 *    caught up once: a relay that never did announces nothing of itself);
 * 2. the furthest origin position it heard (`leaderStatus`), when that is
 *    past its own: a follower's known leader seqno is then the origin's, and
 *    once it has applied that far it is fresh as of the origin's `atMs`.
 *
 * Both are upper bounds on staleness as long as the clocks agree, as for a
 * leader's own announcement.
 */
import type { LeaderStatus } from '../src/index.js';

/** What relayStatuses reads of the shipping node. */
export interface AnnouncingNode {
  readonly isFollower: boolean;
  /** Highest seqno written (leader) or applied (relay). */
  readonly lastSeq: number;
  /** ms the node may be behind its own leader (Infinity before it caught up once); 0 on a leader. */
  readonly stalenessMs: number;
  /** The furthest position announced to it (the origin leader's, through any relays), or null. */
  readonly leaderStatus: LeaderStatus | null;
}

/**
 * The announcements for one tick at `nowMs`, lowest seqno first.
 *
 * @example
 * relayStatuses({ isFollower: true, lastSeq: 90, stalenessMs: 250, leaderStatus: { lastSeq: 120, atMs: 9_900 } }, 10_000);
 * // → [{ lastSeq: 90, atMs: 9_750 }, { lastSeq: 120, atMs: 9_900 }]
 * @param nowMs the shipper's clock now, ms since epoch
 */
export function relayStatuses(node: AnnouncingNode, nowMs: number): LeaderStatus[] {
  if (!node.isFollower) return [{ lastSeq: node.lastSeq, atMs: nowMs }];
  const statuses: LeaderStatus[] = [];
  if (Number.isFinite(node.stalenessMs)) statuses.push({ lastSeq: node.lastSeq, atMs: nowMs - node.stalenessMs });
  const origin = node.leaderStatus;
  if (origin && origin.lastSeq > node.lastSeq) statuses.push({ lastSeq: origin.lastSeq, atMs: origin.atMs });
  return statuses;
}
