import { checkRelayOptions, type RelayOptions } from './relayOptions.js';
import type { LeaderHandle } from './startLeader.js';
import { WalShipper } from './walShipper.js';

/**
 * Starts a relay: a follower that serves followers of its own, as a
 * PostgreSQL cascading standby does (docs/cascading.md). It is startLeader's
 * pipeline (a WalShipper) on a follower database that a SegmentReceiver
 * feeds:
 *
 * - it seals nothing of its own: it ships the sealed segments it stored,
 *   as they were shipped to it, byte for byte (checksums and epochs
 *   unchanged, so its followers fence exactly as the leader's do), each as
 *   soon as it is stored (`db.replication.sealed$`);
 * - its followers' acks hold its own retention (`retainFrom`), and one
 *   behind what it retains gets its latest checkpoint;
 * - the handle's `lag$`, `applied$` and the relay's `db.metrics` are per hop
 *   (its followers against the relay's own mark); each tick it announces
 *   the origin leader's position, so its followers' `lag$` (FollowerLagView)
 *   and `stalenessMs()` are end to end.
 *
 * Stop it, and the SegmentReceiver, before closing the database. Promoted
 * (`db.promote()`, its receiver stopped first), the same handle goes on as
 * its followers' leader in the new epoch: it seals and ships the writes
 * made from then on.
 *
 * @example
 * const upstream = new InProcessTransport();   // leader → relay
 * const downstream = new InProcessTransport(); // relay → its followers
 * const relayDb = await FollowerDb.open({ dir: '/var/lib/relay' });
 * const receiving = startFollower({ db: relayDb, transport: upstream, peer: 'relay' });
 * const serving = startRelay({ db: relayDb, transport: downstream, followers: ['edge-1'], shipIntervalMs: 100 });
 * serving.lag$.subscribe((lag) => console.log(lag['edge-1']?.events)); // per hop
 * // …
 * await serving.stop();
 * await receiving.stop();
 * await relayDb.close();
 *
 * @param options startLeader's options, with `db` a follower database
 * @returns the relay's WalShipper, already started
 * @see startLeader
 * @see startFollower
 */
export function startRelay(options: RelayOptions): LeaderHandle {
  return new WalShipper(options, checkRelayOptions).start();
}
