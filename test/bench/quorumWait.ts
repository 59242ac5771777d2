/**
 * What a quorum wait adds to a write (issue 11), beside Redis `WAIT 1` on
 * the same machine in the same run (BENCH_ONLY=quorum).
 *
 * tidaldb: a leader in this process and one `tidaldb follower` process
 * (tcpCluster.ts) with its replica directory (fsync on, the CLI default).
 * Each sample writes one signal, awaits it on the leader, then times
 * `waitForFollowers(seq, { count: 1, level })` alone: the wait seals at once
 * (the ship tick is 1 s away, never reached), ships over loopback, and the
 * follower validates, stores with fsync, applies and acks. Timed at level
 * 'durable' (the figure the issue asks for) and at 'received' (the same
 * promise Redis WAIT makes: the replica has the write, not on disk).
 *
 * Redis: a primary and a replica, neither persisting (redisServer.ts). Each
 * sample sends one ZINCRBY, awaits its reply, then times `WAIT 1 1000`
 * alone. WAIT answers once the replica acknowledged the write's offset,
 * which it holds in memory: its `received`, not our `durable`.
 *
 * Samples run one after another (no overlap), so p99 is one wait's tail,
 * not a queue's.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TidalDb } from '../../src/index.js';
import { scaled } from './benchConfig.js';
import { REDIS_UNAVAILABLE } from './figures.js';
import { closeRedisPair, onPath, startRedisPair } from './redisServer.js';
import { RespClient, RespError } from './respClient.js';
import { type BenchResult, type LatencySummary, summarize } from './stats.js';
import { TcpCluster } from './tcpCluster.js';
import { withTempDir } from './tempDir.js';

/** 1 s: far past a loopback round trip with an fsync (~1 ms); a sample that times out is counted, not hidden. */
const WAIT_TIMEOUT_MS = 1000;
/** The ship tick, ms: long enough that no sample is helped by it, so what is timed is the wait's own seal. */
const SHIP_INTERVAL_MS = 1000;
/** Samples a level at BENCH_SCALE=1; warm-up samples are dropped first (JIT, the follower's first fsyncs). */
const SAMPLES = 2000;
const WARMUP = 100;

export async function quorumWait(): Promise<BenchResult[]> {
  const n = scaled(SAMPLES, 50);
  const ours = await tidaldbWaits(n);
  const redis = await redisWaits(n);
  const row = (benchmark: string, s: LatencySummary, details: Record<string, unknown>): BenchResult[] => [
    { benchmark: `${benchmark} p50`, measured: s.p50Ms, unit: 'ms', goal: null, details: { ...details, ...s } },
    { benchmark: `${benchmark} p99`, measured: s.p99Ms, unit: 'ms', goal: null },
  ];
  return [
    ...row('quorum wait over TCP, count 1, level durable (1 follower process, fsync)', ours.durable, { samples: n, timeouts: ours.timeouts }),
    ...row('  same, level received', ours.received, { samples: n }),
    ...(redis === null
      ? [{ benchmark: 'redis WAIT 1: skipped (redis-server not on PATH)', measured: NaN, unit: '', goal: null, key: REDIS_UNAVAILABLE, note: 'skipped' }]
      : row('  redis WAIT 1 (replica in memory), same machine', redis.wait, { samples: n, timeouts: redis.timeouts })),
  ];
}

async function tidaldbWaits(n: number): Promise<{ durable: LatencySummary; received: LatencySummary; timeouts: number }> {
  return withTempDir(async (root) => {
    const db = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
    const cluster = await TcpCluster.start({ db, peers: ['f1'], root, shipIntervalMs: SHIP_INTERVAL_MS });
    let timeouts = 0;
    try {
      await cluster.spawnFollowers();
      const sample = async (level: 'durable' | 'received', i: number): Promise<number> => {
        const seq = await db.signal({ itemId: `item-${i % 5000}`, type: 'view', at: i });
        const t0 = performance.now();
        try {
          await cluster.leader.waitForFollowers(seq, { count: 1, level, timeoutMs: WAIT_TIMEOUT_MS });
        } catch {
          timeouts++;
        }
        return performance.now() - t0;
      };
      const run = async (level: 'durable' | 'received'): Promise<LatencySummary> => {
        for (let i = 0; i < WARMUP; i++) await sample(level, i);
        const ms: number[] = [];
        for (let i = 0; i < n; i++) ms.push(await sample(level, i));
        return summarize(ms);
      };
      const durable = await run('durable');
      const received = await run('received');
      cluster.assertFollowersRunning();
      return { durable, received, timeouts };
    } finally {
      cluster.assertCleanExits(await cluster.stop());
      await db.close();
    }
  });
}

async function redisWaits(n: number): Promise<{ wait: LatencySummary; timeouts: number } | null> {
  if (!(await onPath('redis-server'))) return null;
  return withTempDir(async (root) => {
    const [primaryDir, replicaDir] = [join(root, 'primary'), join(root, 'replica')];
    await Promise.all([mkdir(primaryDir), mkdir(replicaDir)]);
    const pair = await startRedisPair(primaryDir, replicaDir);
    const client = await RespClient.connect(pair.primary.port);
    let timeouts = 0;
    const call = (args: string[]) => new Promise<unknown>((resolve, reject) => client.command(args, (r) => (r instanceof RespError ? reject(r) : resolve(r))));
    try {
      const sample = async (i: number): Promise<number> => {
        await call(['ZINCRBY', 'view', '1', `member:${i % 5000}`]);
        const t0 = performance.now();
        if ((await call(['WAIT', '1', String(WAIT_TIMEOUT_MS)])) !== 1) timeouts++;
        return performance.now() - t0;
      };
      for (let i = 0; i < WARMUP; i++) await sample(i);
      const ms: number[] = [];
      for (let i = 0; i < n; i++) ms.push(await sample(i));
      return { wait: summarize(ms), timeouts };
    } finally {
      client.close();
      await closeRedisPair(pair);
    }
  });
}
