/**
 * The worker transport's two ends under their older names. A WorkerTransport
 * is a LeaderTransport and a WorkerTransportFollower a FollowerTransport
 * (transport.ts); `startLeader` and `startFollower` take them as they are.
 *
 * @example
 * const workers = new WorkerTransport();                   // a LeaderTransport
 * startLeader({ db, transport: workers, followers: workers.followers$ });
 */
import type { FollowerTransport, LeaderTransport } from '../transport.js';

/** @deprecated Use LeaderTransport (what a leader's pipeline uses: shipping, status announcements, feedback). */
export type LeaderEnd = LeaderTransport;

/** @deprecated Use FollowerTransport (what a follower's pipeline uses: receiving, announcements, feedback). */
export type FollowerEnd = FollowerTransport;

/**
 * @example
 * ```ts
 * const workers = new WorkerTransport();
 * startLeader({ db, transport: asTransport(workers), followers: workers.followers$ }); // the same as transport: workers
 * ```
 * @deprecated Not needed any more: `startLeader` asks for a LeaderTransport
 * and `startFollower` for a FollowerTransport, so pass the end itself.
 * Returns `end` unchanged.
 */
export function asTransport<End extends LeaderTransport | FollowerTransport>(end: End): End {
  return end;
}
