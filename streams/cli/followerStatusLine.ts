/**
 * The status line `tidaldb follower` prints once per interval: pure, what
 * the follower knows in, one line out. It never claims `lag 0` when it does
 * not know: while the link is down it says `disconnected` and `lag
 * unknown`, and before the leader has announced its position, `leader
 * unknown  lag unknown`.
 */
import { count, isoTime } from './formatTable.js';

/** What the follower knows at one moment. */
export interface FollowerStatusView {
  readonly nowMs: number;
  /** Highest seqno applied (and durable) here. */
  readonly appliedSeq: number;
  /** The leader's last announced seqno; null while it has announced none. */
  readonly leaderSeq: number | null;
  /** How far behind its leader this replica may be, in ms; Infinity until it has caught up once. */
  readonly stalenessMs: number;
  /** False while the link to the leader is down (it is reconnecting). */
  readonly connected: boolean;
}

/**
 * One status line.
 *
 * @example
 * followerStatusLine({ nowMs, appliedSeq: 1234, leaderSeq: 1240, stalenessMs: 350, connected: true });
 * // '2025-01-01T00:00:00.000Z  applied 1,234  leader 1,240  lag 6 events  staleness 350 ms'
 * followerStatusLine({ nowMs, appliedSeq: 1234, leaderSeq: 1240, stalenessMs: 5012, connected: false });
 * // '2025-01-01T00:00:00.000Z  applied 1,234  disconnected  leader 1,240 when last heard  lag unknown  staleness 5,012 ms'
 */
export function followerStatusLine(v: FollowerStatusView): string {
  const staleness = Number.isFinite(v.stalenessMs) ? `${count(Math.round(v.stalenessMs))} ms` : 'unknown (not caught up yet)';
  const head = `${isoTime(v.nowMs)}  applied ${count(v.appliedSeq)}`;
  if (!v.connected) {
    const heard = v.leaderSeq === null ? 'leader unknown' : `leader ${count(Math.max(v.leaderSeq, v.appliedSeq))} when last heard`;
    return `${head}  disconnected  ${heard}  lag unknown  staleness ${staleness}`;
  }
  if (v.leaderSeq === null) return `${head}  leader unknown  lag unknown  staleness ${staleness}`;
  const leaderSeq = Math.max(v.leaderSeq, v.appliedSeq);
  return `${head}  leader ${count(leaderSeq)}  lag ${count(leaderSeq - v.appliedSeq)} events  staleness ${staleness}`;
}
