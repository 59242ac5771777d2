/**
 * The status line `tidaldb follower --status-json` prints once per
 * interval: one JSON object a line (NDJSON), for a plot or an alert to
 * read instead of the human line. Pure: what the follower knows in, one
 * line out. Like the human line it never claims a lag it does not know: an
 * unknown figure is `null`, never 0.
 *
 *   {"time":"2025-01-01T00:00:00.000Z","peer":"replica-1","state":"behind","appliedSeq":1234,"leaderSeq":1240,"lagEvents":6,"stalenessMs":350}
 */
import type { FollowerStatusView } from './followerStatusLine.js';
import { isoTime } from './formatTable.js';

/**
 * What the follower knows of its place behind the leader:
 * - `caught-up`: connected, and it has applied everything the leader last announced;
 * - `behind`: connected, with `lagEvents` > 0 still to apply;
 * - `leader-unknown`: connected, before the leader has announced its position (lag unknown);
 * - `disconnected`: the link is down and being retried (lag unknown; staleness keeps growing).
 */
export type FollowerStatusState = 'caught-up' | 'behind' | 'leader-unknown' | 'disconnected';

/** One `--status-json` line, parsed. Field order is as listed. */
export interface FollowerStatusRecord {
  /** When the line was written: ISO 8601, UTC, ms. */
  readonly time: string;
  /** This follower's peer id (`--peer`). */
  readonly peer: string;
  readonly state: FollowerStatusState;
  /** Highest seqno applied (and durable) here. */
  readonly appliedSeq: number;
  /** The leader's seqno as last announced (while disconnected: when last heard); null before any announcement. Never below appliedSeq. */
  readonly leaderSeq: number | null;
  /** leaderSeq - appliedSeq, in events; null while disconnected or before the leader has announced its position. */
  readonly lagEvents: number | null;
  /** How far behind its leader this replica may be, in whole ms; null until it has caught up once. */
  readonly stalenessMs: number | null;
}

/** The record for one moment. */
export function followerStatusRecord(v: FollowerStatusView, peer: string): FollowerStatusRecord {
  const leaderSeq = v.leaderSeq === null ? null : Math.max(v.leaderSeq, v.appliedSeq);
  const lagEvents = v.connected && leaderSeq !== null ? leaderSeq - v.appliedSeq : null;
  const state: FollowerStatusState = !v.connected ? 'disconnected' : lagEvents === null ? 'leader-unknown' : lagEvents > 0 ? 'behind' : 'caught-up';
  return {
    time: isoTime(v.nowMs), peer, state, appliedSeq: v.appliedSeq, leaderSeq, lagEvents,
    stalenessMs: Number.isFinite(v.stalenessMs) ? Math.round(v.stalenessMs) : null,
  };
}

/**
 * One `--status-json` line, without its newline.
 *
 * @example
 * followerStatusJson({ nowMs, appliedSeq: 1234, leaderSeq: 1240, stalenessMs: 350, connected: true }, 'replica-1');
 * // '{"time":"2025-01-01T00:00:00.000Z","peer":"replica-1","state":"behind","appliedSeq":1234,"leaderSeq":1240,"lagEvents":6,"stalenessMs":350}'
 * followerStatusJson({ nowMs, appliedSeq: 1240, leaderSeq: 1240, stalenessMs: 5012, connected: false }, 'replica-1');
 * // '{"time":"…","peer":"replica-1","state":"disconnected","appliedSeq":1240,"leaderSeq":1240,"lagEvents":null,"stalenessMs":5012}'
 */
export function followerStatusJson(v: FollowerStatusView, peer: string): string {
  return JSON.stringify(followerStatusRecord(v, peer));
}
