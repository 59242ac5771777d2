/**
 * The status line `tidaldb leader` prints once a second: the leader's seqno
 * and, for each follower, its state and its lag in events and ms. Pure: the
 * figures in, one line out.
 */
import { count, isoTime } from './formatTable.js';

/**
 * What the line reads of one follower: its entry in the leader handle's
 * `lag$` (a FollowerLag). `state` is shown when the handle reports one
 * ('never-connected', 'catching-up', 'streaming', 'disconnected'); a lag
 * that is missing or not a finite number is shown as unknown, never as 0.
 */
export interface FollowerStatusView {
  readonly state?: string;
  /** Leader lastSeq minus the follower's last ack, in events. */
  readonly events?: number | null;
  /** Age of the oldest event the follower has not applied, in ms. */
  readonly ms?: number | null;
}

export interface LeaderStatus {
  /** When the line is printed, ms since the epoch. */
  readonly nowMs: number;
  /** The leader's lastSeq. */
  readonly leaderSeq: number;
  /** The follower set, in the order the line lists them. */
  readonly followers: readonly string[];
  /** The latest lag report by peer id; a follower absent from it has an unknown lag. */
  readonly lag: Readonly<Record<string, FollowerStatusView | undefined>>;
}

/**
 * Formats one status line. Followers are listed in set order, then any
 * other peer the report holds, by id.
 *
 * @example
 * leaderStatusLine({ nowMs: 0, leaderSeq: 1240, followers: ['r1', 'r2'], lag: { r1: { state: 'streaming', events: 6, ms: 350 } } });
 * // '1970-01-01T00:00:00.000Z  leader seqno 1,240  "r1" streaming, lag 6 events, 350 ms  "r2" lag unknown'
 */
export function leaderStatusLine({ nowMs, leaderSeq, followers, lag }: LeaderStatus): string {
  const others = Object.keys(lag).filter((peer) => !followers.includes(peer)).sort();
  const peers = [...followers, ...others];
  const listed = peers.length === 0 ? ['no followers'] : peers.map((peer) => followerStatus(peer, lag[peer]));
  return [isoTime(nowMs), `leader seqno ${count(leaderSeq)}`, ...listed].join('  ');
}

/** `"r1" streaming, lag 6 events, 350 ms`, or `"r2" lag unknown`. */
export function followerStatus(peer: string, view: FollowerStatusView | undefined): string {
  const name = JSON.stringify(peer);
  const state = typeof view?.state === 'string' ? ` ${view.state},` : '';
  const events = view?.events;
  if (typeof events !== 'number' || !Number.isFinite(events)) return `${name}${state} lag unknown`;
  const ms = view?.ms;
  const age = typeof ms === 'number' && Number.isFinite(ms) ? `${count(Math.round(ms))} ms` : 'ms unknown';
  return `${name}${state} lag ${count(events)} events, ${age}`;
}
