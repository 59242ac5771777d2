import { concatMap, map, type OperatorFunction } from 'rxjs';
import type { WalShipper } from './walShipper.js';
import type { QuorumAck, WaitForFollowersOptions } from './waitForFollowers.js';

/** A committed seqno and the followers that reached it at the asked level. */
export interface QuorumAcked extends QuorumAck {
  readonly seq: number;
}

/**
 * Follows each committed seqno with its quorum wait
 * (`leader.waitForFollowers$`), one at a time in order, and emits
 * `{ seq, acked }` once `count` followers reached it at `level`.
 *
 * A timeout is an error notification (ReplicationTimeoutError, code
 * 'ReplicationTimeout', `details: { committedLocally: true, acked }`), as
 * the issue asks: a write that did not reach its quorum must not pass
 * unnoticed (Redis WAIT's short count is what callers forget to check), so
 * it is not a side channel one can leave unsubscribed. Catch it (`catchError`,
 * `retry`) to go on; the seqno stays committed on the leader.
 *
 *   seqs    : -1----5-----9--|
 *   result  : ---a----b------c|     (a = { seq: 1, acked }, …; waits run one after another)
 *   timeout : ---a----------#       (ReplicationTimeout for seq 9)
 *
 * @param leader the running WalShipper (what startLeader returns).
 * @param options `count`, `level`, `timeoutMs` (ms, required) and an optional `scheduler`, as waitForFollowers takes.
 * @example
 * commits$.pipe(map((r) => r.lastSeq), awaitQuorum(leader, { count: 1, level: 'durable', timeoutMs: 1000 }))
 *   .subscribe(({ seq, acked }) => console.log(seq, acked)); // 42 [ 'f1' ]
 * @see WalShipper.waitForFollowers
 */
export function awaitQuorum(leader: Pick<WalShipper, 'waitForFollowers$'>, options: WaitForFollowersOptions): OperatorFunction<number, QuorumAcked> {
  return concatMap((seq) => leader.waitForFollowers$(seq, options).pipe(map(({ acked }) => ({ seq, acked }))));
}
