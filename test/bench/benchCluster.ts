/**
 * A leader in this process and follower processes, whatever carries the
 * segments: the surface the transport comparison (jetStreamReplication.ts)
 * runs its throughput, steady-lag and quorum-wait runs on, so each run is
 * the same code over TCP and over JetStream.
 *
 * `tcpBenchCluster` wraps TcpCluster (`tidaldb follower` processes);
 * `jetStreamBenchCluster` (jetStreamBenchCluster.ts) is the JetStream one.
 */
import type { TidalDb } from '../../src/index.js';
import type { LeaderHandle } from '../../streams/index.js';
import { TcpCluster } from './tcpCluster.js';

export interface BenchCluster {
  /** The leader's shipper: `applied$`, `waitForFollowers`. */
  readonly leader: LeaderHandle;
  /** Starts one follower process a peer; resolves once each follows. */
  spawnFollowers(): Promise<void>;
  /** Throws, with its output, when a follower process has exited. */
  assertFollowersRunning(): void;
  /** The followers' last output, for error messages. */
  outputs(): string;
  /** SIGTERM the followers (each must exit 0), then stop shipping and close the leader's end. The leader's db stays open. */
  stop(): Promise<void>;
}

export interface BenchClusterOptions {
  readonly db: TidalDb;
  readonly peers: readonly string[];
  /** Replica directories go in `root/<peer>`. */
  readonly root: string;
  readonly shipIntervalMs: number;
}

/** Makes a cluster that has not spawned its followers yet. */
export type StartBenchCluster = (options: BenchClusterOptions) => Promise<BenchCluster>;

/** Over loopback TCP, to `tidaldb follower` processes. */
export const tcpBenchCluster: StartBenchCluster = async (options) => {
  const cluster = await TcpCluster.start(options);
  return {
    leader: cluster.leader,
    spawnFollowers: () => cluster.spawnFollowers(),
    assertFollowersRunning: () => cluster.assertFollowersRunning(),
    outputs: () => cluster.outputs(),
    async stop() {
      cluster.assertCleanExits(await cluster.stop());
    },
  };
};
