/**
 * A follower database as the leader-side components see it while it serves
 * followers of its own (a relay, docs/cascading.md).
 *
 * `startLeader`'s option check (pipelineOptions.ts) and `TcpTransport.listen`
 * (tcpOptions.ts) refuse a follower database, to catch a misconfigured
 * leader. A relay serves from a follower on purpose, so it shows them this
 * view: the same database in every respect, except that `isFollower()`
 * answers false. Only those checks and the TCP listener (its shard, epoch
 * and metrics) see it; the relay's shipper reads the database itself, whose
 * role (and so its staleness and stored-segment stream) is the real one.
 */
import { TidalDb, TidalError } from '../src/index.js';

/**
 * The view of follower `db` that the leader-side checks accept; InvalidInput
 * when `db` is not a follower TidalDb (`what` names the caller).
 */
export function servingNode(db: unknown, what: string): TidalDb {
  if (!(db instanceof TidalDb)) throw new TidalError('InvalidInput', `${what}: db must be a TidalDb`);
  if (!db.isFollower()) throw new TidalError('InvalidInput', `${what} serves from a follower database (role 'follower'); a leader ships with startLeader / TcpTransport.listen`);
  return new Proxy(db, {
    get(target, key) {
      if (key === 'isFollower') return () => false;
      return Reflect.get(target, key) as unknown;
    },
  });
}
