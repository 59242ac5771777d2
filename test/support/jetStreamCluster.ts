/**
 * A leader and followers replicating through a real nats-server (see
 * natsServer.ts), for the conformance suite and the JetStream tests. Each
 * cluster has a stream and subjects of its own, so the tests of one file can
 * share one server.
 */
import { FollowerDb, TidalDb, type TidalDbOptions } from '../../src/index.js';
import {
  type FollowerTransport, JetStreamTransport, type JetStreamFollowerOptions, type JetStreamFollowerTransport, type JetStreamLeaderOptions,
  type JetStreamLeaderTransport, type LeaderTransport, startFollower, startLeader,
} from '../../streams/index.js';
import { type Cluster, HALF_LIVES } from '../acceptance/harness.js';
import type { ConformanceTransport, SuiteClusterOptions } from '../acceptance/seedSuite.js';
import type { NatsServer } from '../bench/jetStreamServer.js';

/** Fast enough for tests on a loaded machine: pings every 250 ms, reconnects capped at 1 s. */
export const FAST_JETSTREAM = { heartbeatMs: 250, reconnectBaseMs: 50, reconnectCapMs: 1000, requestTimeoutMs: 5000 } as const;

/**
 * 64 MiB streams (the server reserves a stream's max_bytes against its
 * max_file_store, so the default 1 GiB would exhaust a test server after two).
 */
export const SMALL_STREAM = { maxStreamBytes: 64 * 1024 * 1024, maxShipmentBytes: 16 * 1024 * 1024 } as const;

let clusters = 0;

/** A stream name and subject prefix no other cluster of this process uses. */
export function uniqueNames(): { stream: string; subjectPrefix: string } {
  const id = `${process.pid}-${++clusters}`;
  return { stream: `tidaldb-test-${id}`, subjectPrefix: `tidaldb-test-${id}` };
}

export interface JetStreamClusterOptions extends SuiteClusterOptions {
  readonly leaderDb?: TidalDbOptions;
  readonly leader?: Partial<JetStreamLeaderOptions>;
  readonly follower?: Partial<JetStreamFollowerOptions>;
}

/** A cluster over JetStream, its ends typed as such. */
export interface JetStreamCluster extends Cluster {
  readonly leaderEnd: JetStreamLeaderTransport;
  readonly followerEnds: JetStreamFollowerTransport[];
  readonly names: { stream: string; subjectPrefix: string };
}

export async function startJetStreamCluster(nats: NatsServer, opts: JetStreamClusterOptions = {}): Promise<JetStreamCluster> {
  const names = uniqueNames();
  const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES, ...opts.leaderDb });
  const followers = await Promise.all(Array.from({ length: opts.followers ?? 1 }, () => FollowerDb.open()));
  const peers = followers.map((_, i) => `f${i + 1}`);
  const leaderEnd = await JetStreamTransport.leader({ servers: nats.url, db: leader, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM, ...opts.leader });
  const followerEnds = await Promise.all(followers.map((db, i) => JetStreamTransport.follower({
    servers: nats.url, db, peer: peers[i]!, ...names, ...FAST_JETSTREAM, ...opts.follower,
  })));
  const shipping: LeaderTransport = opts.wrapLeader ? opts.wrapLeader(leaderEnd) : leaderEnd;
  const leaderHandle = startLeader({ db: leader, transport: shipping, followers: peers, shipIntervalMs: opts.shipIntervalMs ?? 50 });
  const followerHandles = followers.map((db, i) =>
    startFollower({ db, transport: followerEnds[i]!, peer: peers[i]!, feedbackIntervalMs: opts.feedbackIntervalMs ?? 100 }));
  return {
    leader, followers, transport: leaderEnd, followerTransports: followerEnds as FollowerTransport[], leaderHandle, followerHandles,
    leaderEnd, followerEnds, names,
    async stop() {
      await leaderHandle.stop();
      for (const h of followerHandles) await h.stop();
      await Promise.all([leaderEnd.close(), ...followerEnds.map((e) => e.close())]);
      await leader.close();
      for (const f of followers) await f.close();
    },
  };
}

/** The JetStream transport as the conformance suite runs it, against the server `nats()` returns when a test starts. */
export function jetStreamConformance(nats: () => NatsServer): ConformanceTransport {
  return { name: 'jetstream', startCluster: (opts) => startJetStreamCluster(nats(), opts) };
}
