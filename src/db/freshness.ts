/**
 * What a follower knows about how far behind its leader it is.
 *
 * The leader announces `(lastSeq, atMs)`: "at atMs I had written up to
 * lastSeq". Once the follower has applied lastSeq, it is known to be at
 * least as fresh as atMs. Staleness is then `now - freshAsOfMs`: an upper
 * bound, as long as the two clocks agree (in-process they are one clock).
 */

import { TidalError } from '../errors.js';

/** A leader's announcement of its position. */
export interface LeaderStatus {
  readonly lastSeq: number;
  /** Leader clock at the announcement, ms since epoch. */
  readonly atMs: number;
}

/** Announcements waiting for the follower to catch up to them; the oldest are dropped past this. */
const MAX_PENDING_STATUSES = 64;

export class Freshness {
  private freshAsOfMs = -Infinity;
  private readonly pending: LeaderStatus[] = [];
  private knownLeaderSeq = 0;

  /** The leader's last announced seqno. */
  get leaderSeq(): number {
    return this.knownLeaderSeq;
  }

  noteLeader(status: LeaderStatus, appliedSeq: number): void {
    this.knownLeaderSeq = Math.max(this.knownLeaderSeq, status.lastSeq);
    if (status.lastSeq <= appliedSeq) {
      this.freshAsOfMs = Math.max(this.freshAsOfMs, status.atMs);
      return;
    }
    this.pending.push(status);
    if (this.pending.length > MAX_PENDING_STATUSES) this.pending.shift();
  }

  /**
   * Credits every pending announcement the follower has now caught up to,
   * wherever it sits in the queue: a relay announces two positions a tick
   * (its own, fresh as of an older time, and its leader's, further on), so
   * announcements need not arrive in seqno order (docs/cascading.md).
   */
  noteApplied(appliedSeq: number): void {
    let kept = 0;
    for (const status of this.pending) {
      if (status.lastSeq <= appliedSeq) this.freshAsOfMs = Math.max(this.freshAsOfMs, status.atMs);
      else this.pending[kept++] = status;
    }
    this.pending.length = kept;
  }

  /** Throws `Stale` when the follower may be more than `maxStaleMs` behind at `nowMs`. */
  check(nowMs: number, maxStaleMs: number, appliedSeq: number): void {
    const staleMs = this.stalenessMs(nowMs);
    if (staleMs <= maxStaleMs) return;
    const behind = Number.isFinite(staleMs) ? `${Math.round(staleMs)} ms` : 'arbitrarily far';
    throw new TidalError('Stale', `this follower may be ${behind} behind its leader (applied seqno ${appliedSeq}, leader at ${this.knownLeaderSeq} or later), more than maxStaleMs ${maxStaleMs}`);
  }

  /** ms the follower may be behind at `nowMs`; Infinity before it has ever caught up. */
  stalenessMs(nowMs: number): number {
    return Math.max(0, nowMs - this.freshAsOfMs);
  }
}
