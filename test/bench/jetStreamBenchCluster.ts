/**
 * The JetStream BenchCluster: a leader in this process behind
 * `JetStreamTransport.leader` on a stream of its own, and one follower
 * process a peer (jetStreamFollowerChild.ts: a FollowerDb in `root/<peer>`,
 * fsync before each ack, its durable pull consumer), all through the
 * nats-server the caller started (jetStreamServer.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JetStreamTransport, startLeader } from '../../streams/index.js';
import type { BenchCluster, StartBenchCluster } from './benchCluster.js';
import type { NatsServer } from './jetStreamServer.js';
import { pollUntil } from './pollUntil.js';

const CHILD = fileURLToPath(new URL('./jetStreamFollowerChild.js', import.meta.url));
/** Node start, an empty replica and the consumer's creation: well under a second each, even four at once on two cores. */
const START_TIMEOUT_MS = 30_000;
/** SIGTERM closes the follower's database, which writes a checkpoint: seconds at 1M events, not minutes. */
const STOP_TIMEOUT_MS = 60_000;
/** 1 GiB: a bench stream holds a whole run (about 10 MB at 1M signals) many times over; the server reserves it against max_file_store. */
export const BENCH_STREAM_BYTES = 1024 * 1024 * 1024;
const OUTPUT_TAIL_CHARS = 8192;

let streams = 0;

/** A JetStream cluster factory on `nats`: each cluster gets a stream and subjects of its own. */
export function jetStreamBenchCluster(nats: NatsServer): StartBenchCluster {
  return async ({ db, peers, root, shipIntervalMs }) => {
    const id = `tidaldb-bench-${process.pid}-${++streams}`;
    const names = { stream: id, subjectPrefix: id };
    const end = await JetStreamTransport.leader({ servers: nats.url, db, ...names, maxStreamBytes: BENCH_STREAM_BYTES });
    const leader = startLeader({ db, transport: end, followers: [...peers], shipIntervalMs });
    const children: JetStreamFollowerProcess[] = [];
    const cluster: BenchCluster = {
      leader,
      async spawnFollowers() {
        for (const peer of peers) children.push(new JetStreamFollowerProcess({ servers: nats.url, dir: join(root, peer), peer, ...names }));
        const waitedMs = await pollUntil(() => {
          cluster.assertFollowersRunning();
          return children.every((c) => c.following);
        }, { everyMs: 5, timeoutMs: START_TIMEOUT_MS });
        if (!Number.isFinite(waitedMs)) throw new Error(`jetstream: followers not following after ${START_TIMEOUT_MS} ms:\n${cluster.outputs()}`);
      },
      assertFollowersRunning() {
        const gone = children.find((c) => !c.running);
        if (gone) throw new Error(`jetstream: follower ${gone.peer} exited early; its output:\n${gone.output()}`);
      },
      outputs: () => children.map((c) => `--- ${c.peer}\n${c.output()}`).join('\n'),
      async stop() {
        try {
          const codes = await Promise.all(children.map((c) => c.stop()));
          const failed = codes.findIndex((code) => code !== 0);
          if (failed >= 0) throw new Error(`jetstream: follower ${children[failed]!.peer} exited with ${codes[failed]}:\n${children[failed]!.output()}`);
        } finally {
          await leader.stop();
          await end.close();
        }
      },
    };
    return cluster;
  };
}

/** One jetStreamFollowerChild.ts process; `stop()` sends SIGTERM and resolves with its exit code. */
class JetStreamFollowerProcess {
  readonly peer: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private tail = '';
  private exitCode: number | null | undefined = undefined;
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');

  constructor(config: { servers: string; dir: string; peer: string; stream: string; subjectPrefix: string }) {
    this.peer = config.peer;
    this.child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, TIDALDB_BENCH_JETSTREAM: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    process.once('exit', this.killOnExit); // a bench process that dies must not leave followers behind
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => {
      this.exitCode = code;
      process.off('exit', this.killOnExit);
      resolve(code);
    }));
  }

  /** It said 'following': its end has opened. */
  get following(): boolean {
    return this.tail.includes('following');
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  output(): string {
    return this.tail.trim();
  }

  async stop(): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
