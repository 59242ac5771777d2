/**
 * The Redis rows of the transport comparison (jetStreamReplication.ts),
 * each the same shape as tidaldb's row beside it, on loopback, neither
 * Redis server persisting anything (redisServer.ts):
 *
 *   redisFanOutRun: the Redis-native shape of redisBaseline.ts
 *     (`redis-benchmark -n N -r 5000 -P 1000 -c 50 zincrby …`) against a
 *     primary with `replicas` replicas, N ÷ (spawning redis-benchmark →
 *     every replica's offset at the primary's, polled every 1 ms).
 *   redisSteadyLagRun: a fresh pair and redisSteadyLag.ts (100k/s, INFO offsets).
 *   redisWaitRun: quorumWait.ts's Redis half: one ZINCRBY, its reply, then
 *     `WAIT 1 1000` alone, timed; the replica holds the write in memory (its
 *     `received`, not tidaldb's `durable`).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pollUntil } from './pollUntil.js';
import { REDIS_RUN_TIMEOUT_MS } from './redisConverged.js';
import { closeRedisPair, RedisServer, startRedisPair } from './redisServer.js';
import { type RedisSteadyLagRun, redisSteadyLag } from './redisSteadyLag.js';
import { RespClient, RespError } from './respClient.js';
import { type LatencySummary, summarize } from './stats.js';
import { withTempDir } from './tempDir.js';
import { ISSUE9_ITEMS } from './workload.js';

const execFileAsync = promisify(execFile);
/** redis-benchmark's shape for Redis-native (redisBaseline.ts): 50 connections, 1,000 commands in flight on each. */
const PIPELINE = 1000;
const CLIENTS = 50;
/** A replica's first sync of an empty primary takes well under a second. */
const LINK_TIMEOUT_MS = 30_000;
const WAIT_TIMEOUT_MS = 1000;

export interface RedisFanOutRun {
  readonly signalsPerSec: number;
  readonly convergedSeconds: number;
}

/** Runs `body` with a primary and `replicas` replicas of it, every link streaming; shuts them all down after. */
async function withReplicas<T>(replicas: number, body: (primary: RedisServer, replicas: readonly RedisServer[]) => Promise<T>): Promise<T> {
  return withTempDir(async (root) => {
    const dirs = Array.from({ length: replicas + 1 }, (_, i) => join(root, `r${i}`));
    await Promise.all(dirs.map((d) => mkdir(d)));
    const primary = await RedisServer.start(dirs[0]!);
    const started: RedisServer[] = [];
    try {
      for (const dir of dirs.slice(1)) started.push(await RedisServer.start(dir, ['--replicaof', '127.0.0.1', String(primary.port)]));
      await primary.rc.call(['SET', 'tidaldb-bench-probe', '1']); // a write every replica must show: the stream flows (see startRedisPair)
      await allAtPrimary(primary, started, LINK_TIMEOUT_MS);
      await primary.rc.call(['FLUSHALL']);
      await allAtPrimary(primary, started, LINK_TIMEOUT_MS);
      return await body(primary, started);
    } finally {
      await Promise.allSettled(started.map((r) => r.close()));
      await primary.close();
    }
  });
}

/** ms until every replica's offset reached the primary's offset now; throws past `timeoutMs`. */
async function allAtPrimary(primary: RedisServer, replicas: readonly RedisServer[], timeoutMs: number, sinceMs = performance.now()): Promise<number> {
  const target = await primary.replicationOffset();
  const ms = await pollUntil(async () => {
    const offsets = await Promise.all(replicas.map((r) => r.replicationOffset()));
    return offsets.every((o) => o >= target);
  }, { sinceMs, timeoutMs });
  if (!Number.isFinite(ms)) throw new Error(`redis: replicas not at the primary's offset ${target} after ${timeoutMs} ms`);
  return ms;
}

/** `n` ZINCRBY by redis-benchmark (Redis-native's shape) to a primary with `replicas` replicas, timed until all have them. */
export async function redisFanOutRun(replicas: number, n: number): Promise<RedisFanOutRun> {
  return withReplicas(replicas, async (primary, started) => {
    const args = [
      '-h', '127.0.0.1', '-p', String(primary.port), '-n', String(n), '-r', String(ISSUE9_ITEMS),
      '-P', String(PIPELINE), '-c', String(CLIENTS), '-q', 'zincrby', 'view', '1', 'member:__rand_int__',
    ];
    const t0 = performance.now();
    await execFileAsync('redis-benchmark', args, { timeout: REDIS_RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    const convergedMs = await allAtPrimary(primary, started, REDIS_RUN_TIMEOUT_MS, t0);
    const members = await Promise.all([primary, ...started].map(async (s) => Number(await s.rc.call(['ZCARD', 'view']))));
    if (members.some((m) => m !== members[0] || !(m > 0))) throw new Error(`redis: members on the primary and replicas differ: ${members.join(', ')}`);
    return { signalsPerSec: n / (convergedMs / 1000), convergedSeconds: convergedMs / 1000 };
  });
}

/** redisSteadyLag.ts on a fresh pair for `durationMs`. */
export async function redisSteadyLagRun(durationMs: number): Promise<RedisSteadyLagRun> {
  return withTempDir(async (root) => {
    const [primaryDir, replicaDir] = [join(root, 'primary'), join(root, 'replica')];
    await Promise.all([mkdir(primaryDir), mkdir(replicaDir)]);
    const pair = await startRedisPair(primaryDir, replicaDir);
    try {
      return await redisSteadyLag(pair, durationMs);
    } finally {
      await closeRedisPair(pair);
    }
  });
}

/** `samples` timed `WAIT 1` after one ZINCRBY each, after `warmup` dropped ones. */
export async function redisWaitRun(samples: number, warmup: number): Promise<{ wait: LatencySummary; timeouts: number }> {
  return withReplicas(1, async (primary) => {
    const client = await RespClient.connect(primary.port);
    const call = (args: string[]) => new Promise<unknown>((resolve, reject) => client.command(args, (r) => (r instanceof RespError ? reject(r) : resolve(r))));
    let timeouts = 0;
    try {
      const sample = async (i: number): Promise<number> => {
        await call(['ZINCRBY', 'view', '1', `member:${i % 5000}`]);
        const t0 = performance.now();
        if ((await call(['WAIT', '1', String(WAIT_TIMEOUT_MS)])) !== 1) timeouts++;
        return performance.now() - t0;
      };
      for (let i = 0; i < warmup; i++) await sample(i);
      timeouts = 0;
      const ms: number[] = [];
      for (let i = 0; i < samples; i++) ms.push(await sample(warmup + i));
      return { wait: summarize(ms), timeouts };
    } finally {
      client.close();
    }
  });
}
