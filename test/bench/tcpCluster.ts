/**
 * A leader in this process and `tidaldb follower` child processes, over
 * loopback TCP: `TcpTransport.listen({ port: 0, token, db })`,
 * `startLeader({ …, shipIntervalMs })`, and one FollowerProcess per peer,
 * each with its own replica directory under `root`.
 *
 * `stop()` tears down in order: SIGTERM every follower and wait for it to
 * exit, then stop the leader and close the listener. The leader database is
 * the caller's to close.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TidalDb } from '../../src/index.js';
import { type LeaderHandle, startLeader, TcpTransport, type TcpLeaderTransport } from '../../streams/index.js';
import { type ChildExit, FollowerProcess, stopAll } from './followerProcess.js';
import { pollUntil } from './pollUntil.js';

/** Node start, opening an empty replica and the handshake: well under a second each, even four at once on two cores. */
const CONNECT_TIMEOUT_MS = 30_000;

export interface TcpClusterOptions {
  readonly db: TidalDb;
  readonly peers: readonly string[];
  /** Replica directories go in `root/<peer>`. */
  readonly root: string;
  readonly shipIntervalMs: number;
  /** See LeaderOptions.shipOn. Default 'tick'. */
  readonly shipOn?: 'tick' | 'commit';
}

export class TcpCluster {
  readonly followers: FollowerProcess[] = [];
  private stopped = false;

  private constructor(
    readonly listener: TcpLeaderTransport,
    readonly leader: LeaderHandle,
    private readonly token: string,
    private readonly options: TcpClusterOptions,
  ) {}

  /** Listens on a free loopback port and starts shipping to `peers` (who are not started yet). */
  static async start(options: TcpClusterOptions): Promise<TcpCluster> {
    const token = randomBytes(16).toString('hex');
    const listener = await TcpTransport.listen({ port: 0, token, db: options.db });
    const leader = startLeader({ db: options.db, transport: listener, followers: [...options.peers], shipIntervalMs: options.shipIntervalMs, shipOn: options.shipOn });
    return new TcpCluster(listener, leader, token, options);
  }

  /** Starts a follower process for each peer and resolves once every one has said hello. */
  async spawnFollowers(peers: readonly string[] = this.options.peers): Promise<void> {
    for (const peer of peers) {
      this.followers.push(new FollowerProcess({ dir: join(this.options.root, peer), port: this.listener.port, peer, token: this.token }));
    }
    const waitedMs = await pollUntil(() => {
      this.assertFollowersRunning();
      const connected = new Set(this.listener.connectedPeers);
      return peers.every((p) => connected.has(p));
    }, { everyMs: 5, timeoutMs: CONNECT_TIMEOUT_MS });
    if (!Number.isFinite(waitedMs)) throw new Error(`tcp: followers not connected after ${CONNECT_TIMEOUT_MS} ms:\n${this.outputs()}`);
  }

  /** Throws, with the follower's output, if any follower process has exited. */
  assertFollowersRunning(): void {
    const gone = this.followers.find((f) => !f.running);
    if (gone) throw new Error(`tcp: follower ${gone.peer} exited early; its output:\n${gone.output()}`);
  }

  /** Every follower's last output, for error messages. */
  outputs(): string {
    return this.followers.map((f) => `--- ${f.peer}\n${f.output()}`).join('\n');
  }

  /** Throws unless every follower exited 0 (`exits` from `stop()`, in spawn order). */
  assertCleanExits(exits: readonly ChildExit[]): void {
    this.followers.forEach((f, i) => f.assertCleanExit(exits[i] ?? { code: null, signal: null }));
  }

  /** SIGTERM the followers and wait for them, then stop shipping and close the listener. Idempotent. */
  async stop(): Promise<ChildExit[]> {
    if (this.stopped) return [];
    this.stopped = true;
    try {
      return await stopAll(this.followers);
    } finally {
      this.leader.stop();
      await this.listener.close();
    }
  }
}
