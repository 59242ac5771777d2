/**
 * Replication through NATS JetStream, end to end, to one follower process:
 * a nats-server with JetStream (jetStreamServer.ts: a free loopback port, a
 * temporary file store), the leader an in-memory TidalDb in this process
 * behind `JetStreamTransport.leader` and `startLeader({ shipIntervalMs: 10 })`,
 * the follower a child process (jetStreamFollowerChild.ts) with its own
 * persisted replica (fsync before each ack), as the TCP bench's followers.
 *
 *   issue 9's workload: N = 1,000,000 signals (scaled) over 5,000 items,
 *   written as `signalBatch`es of 1,000, each awaited before the next
 *   (median of 3 runs); N ÷ (first write → `replicationLag[peer] === 0`,
 *   polled every 1 ms): the follower acked the last seqno as applied and
 *   durable. The replica is then stopped, reopened here and must answer
 *   retrieve exactly as the leader does. Compare with the tcp rows of the
 *   same run ("tcp e2e, 1 follower process").
 *
 * Without nats-server the bench reports one row saying so, rather than fail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { JetStreamTransport, startLeader } from '../../streams/index.js';
import { repeats, scaled } from './benchConfig.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from './jetStreamServer.js';
import { pollUntil } from './pollUntil.js';
import { verifyConverged } from './replication.js';
import { type BenchResult, medianRun } from './stats.js';
import { withTempDir } from './tempDir.js';
import { ISSUE9_BATCH, ISSUE9_ITEMS, ISSUE9_SIGNALS, secondsSince, signalBatches, writeBatches } from './workload.js';

const CHILD = fileURLToPath(new URL('./jetStreamFollowerChild.js', import.meta.url));
const SHIP_INTERVAL_MS = 10;
/** Convergence slower than this is a failure, not a figure: at 100k/s a million signals take 10 s. */
const CONVERGE_TIMEOUT_MS = 300_000;
/** Node start, an empty replica and the consumer's creation: well under a second on two cores. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 60_000;
/** 4 GiB: the bench's stream holds a whole run (about 10 MB at 1M signals) several times over; the server reserves it on disk. */
const BENCH_STREAM_BYTES = 4 * 1024 * 1024 * 1024;

interface ThroughputRun {
  readonly signalsPerSec: number;
  readonly writeSeconds: number;
  readonly convergedSeconds: number;
  readonly segmentsShipped: number;
  readonly streamMessages: number;
  readonly streamBytes: number;
}

export async function jetStreamReplication(): Promise<BenchResult[]> {
  if (!NATS_SERVER_AVAILABLE) return [{ benchmark: `jetstream: not run (${NATS_SKIP_REASON})`, measured: NaN, unit: '', goal: null }];
  const n = scaled(ISSUE9_SIGNALS, 1000);
  const runs: ThroughputRun[] = [];
  for (let r = 0; r < repeats(3); r++) {
    runs.push(await throughputRun(n, r));
    process.stderr.write(`  jetstream: 1 follower, run ${r + 1}: ${Math.round(runs[r]!.signalsPerSec)} signals/s to converged\n`);
  }
  const one = medianRun(runs, (x) => x.signalsPerSec);
  return [
    {
      benchmark: 'jetstream e2e, 1 follower process, signalBatch of 1,000, 5,000 items', measured: one.signalsPerSec, unit: 'signals/s', goal: null,
      key: 'jetstream.oneFollower',
      details: { signals: n, items: ISSUE9_ITEMS, batch: ISSUE9_BATCH, shipIntervalMs: SHIP_INTERVAL_MS, ...one, runs: runs.map((x) => x.signalsPerSec) },
    },
    { benchmark: '  write phase alone, jetstream, 1 follower', measured: n / one.writeSeconds, unit: 'signals/s', goal: null },
    { benchmark: '  stream messages a shipped segment (1: published once)', measured: one.streamMessages / Math.max(1, one.segmentsShipped), unit: 'messages', goal: null },
  ];
}

async function throughputRun(n: number, run: number): Promise<ThroughputRun> {
  globalThis.gc?.();
  const peer = 'f1';
  const names = { stream: `tidaldb-bench-${process.pid}-${run}`, subjectPrefix: `tidaldb-bench-${process.pid}-${run}` };
  const baseMs = Date.now();
  const batches = signalBatches(n, ISSUE9_ITEMS, { seed: 23, baseMs });
  const nats = await NatsServer.start({ maxFileStoreBytes: 2 * BENCH_STREAM_BYTES });
  try {
    return await withTempDir(async (root) => {
      const db = await TidalDb.open();
      const end = await JetStreamTransport.leader({ servers: nats.url, db, ...names, maxStreamBytes: BENCH_STREAM_BYTES });
      const leader = startLeader({ db, transport: end, followers: [peer], shipIntervalMs: SHIP_INTERVAL_MS });
      const dir = join(root, peer);
      const child = await spawnFollower({ servers: nats.url, dir, peer, ...names });
      let result: ThroughputRun;
      try {
        const t0 = performance.now();
        await writeBatches(db, batches);
        const writeSeconds = secondsSince(t0);
        const convergedMs = await pollUntil(() => db.metrics.snapshot().replicationLag[peer] === 0, { sinceMs: t0, timeoutMs: CONVERGE_TIMEOUT_MS });
        if (!Number.isFinite(convergedMs)) throw new Error(`jetstream: follower not converged after ${CONVERGE_TIMEOUT_MS} ms:\n${child.output()}`);
        const counters = db.metrics.snapshot().counters;
        result = {
          signalsPerSec: n / (convergedMs / 1000), writeSeconds, convergedSeconds: convergedMs / 1000,
          segmentsShipped: counters['replication.shippedSegments'] ?? 0,
          streamMessages: counters['replication.streamMessages'] ?? 0, streamBytes: counters['replication.streamBytes'] ?? 0,
        };
      } finally {
        await child.stop();
        await leader.stop();
        await end.close();
      }
      const replica = await FollowerDb.open({ dir });
      try {
        verifyConverged(db, [replica], [peer], baseMs + n);
      } finally {
        await replica.close();
        await db.close();
      }
      return result;
    });
  } finally {
    await nats.close();
  }
}

/** The follower child, once it says it follows; `stop()` sends SIGTERM and requires exit 0. */
async function spawnFollower(config: Record<string, string>): Promise<{ output(): string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [CHILD], {
    env: { ...process.env, TIDALDB_BENCH_JETSTREAM: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    process.off('exit', killOnExit);
    resolve(code);
  }));
  const output = () => out.trim();
  const waitedMs = await pollUntil(() => out.includes('following') || child.exitCode !== null, { everyMs: 5, timeoutMs: START_TIMEOUT_MS });
  if (!Number.isFinite(waitedMs) || !out.includes('following')) {
    child.kill('SIGKILL');
    throw new Error(`jetstream: follower did not start:\n${output()}`);
  }
  return {
    output,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`jetstream: follower exited with ${code}:\n${output()}`);
    },
  };
}
