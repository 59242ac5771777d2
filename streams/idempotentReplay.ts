import { defer, map, type OperatorFunction } from 'rxjs';
import { type ApplyResult, type ReplicationTarget, WalError } from '../src/index.js';
import { concatMapGroups } from './concatMapGroups.js';
import { MAX_REPLAY_GROUP_SEGMENTS } from './defaults.js';
import type { VerifiedSegment } from './validateChecksum.js';

/** What replaying one verified segment did. */
export type ReplayOutcome =
  /** Events after the high-water mark were applied (and are durable, with a dir). */
  | { readonly kind: 'applied'; readonly segment: VerifiedSegment; readonly result: ApplyResult }
  /** Everything in it was already applied: a duplicate. Nothing changed. */
  | { readonly kind: 'skipped'; readonly segment: VerifiedSegment; readonly result: ApplyResult }
  /** It starts past the high-water mark + 1: applying it would skip seqnos. Nothing changed. */
  | { readonly kind: 'gap'; readonly segment: VerifiedSegment; readonly error: WalError; readonly appliedSeq: number }
  /** Applying failed (storage, configuration). Nothing changed beyond what is durable. */
  | { readonly kind: 'failed'; readonly segment: VerifiedSegment; readonly error: Error; readonly appliedSeq: number };

/** What idempotentReplay uses of a follower: its `replication` seam's group apply (a TidalDb has it). */
export interface ReplayingDb {
  readonly replication: Pick<ReplicationTarget, 'lastSeq' | 'applySegmentGroup$'>;
}

/**
 * Replays verified segments into a follower, in arrival order, idempotently
 * by seqno:
 * - `lastSeq` at or below the high-water mark: skipped (no double counting);
 * - overlapping it: only the events after it are applied;
 * - `firstSeq` beyond it + 1: not applied (`gap`), the caller asks for a re-send.
 *
 *   source :  -1..5--1..5--11..15--6..10-
 *   result :  -A-----S-----G--------A----   (A applied, S skipped, G gap)
 *
 * Group commit: the segments that arrive while a store is in flight (up to
 * `MAX_REPLAY_GROUP_SEGMENTS`) are stored together, with one fsync, then
 * applied and reported one by one, each exactly as if it had come alone.
 * Synchronous for an in-memory follower (every group is one segment), so it
 * runs in virtual time.
 *
 * @example
 * ```ts
 * segments$.pipe(validateChecksum({ next: (r) => console.log(r.error.message) }), idempotentReplay(replica))
 *   .subscribe((o) => console.log(o.kind)); // applied, applied, skipped (a re-sent copy), ...
 * ```
 *
 * @param db a follower (role 'follower')
 * @see validateChecksum
 */
export function idempotentReplay(db: ReplayingDb): OperatorFunction<VerifiedSegment, ReplayOutcome> {
  return concatMapGroups((segments: VerifiedSegment[]) => defer(() => {
    const replica = db.replication;
    let i = 0;
    return replica.applySegmentGroup$(segments).pipe(map((outcome): ReplayOutcome => {
      const segment = segments[i++]!;
      if ('result' in outcome) return { kind: outcome.result.appliedEvents > 0 ? 'applied' : 'skipped', segment, result: outcome.result };
      const { error } = outcome;
      return error instanceof WalError && error.code === 'Gap'
        ? { kind: 'gap', segment, error, appliedSeq: replica.lastSeq }
        : { kind: 'failed', segment, error, appliedSeq: replica.lastSeq };
    }));
  }), MAX_REPLAY_GROUP_SEGMENTS);
}
