/**
 * The Redis figures tidaldb is held to, measured in the same run: a Redis
 * primary and a replica (Debian's `redis-server`) on loopback, no
 * persistence, one signal = one ZINCRBY.
 *
 *   Redis-native (issue 9): `redis-benchmark -n N -r 5000 -P 1000 -c 50 -q
 *     zincrby view 1 member:__rand_int__`, N = 1M × scale, to the replica
 *     converged (redisConverged.ts); median of 3 runs. The ratio rows of
 *     issue9Rows.ts divide tidaldb's figures by this one.
 *   WAIT-style lag (issue 9): 50k/s in 100-ZINCRBY batches every 2 ms, each
 *     followed by WAIT 1 (redisWaitLag.ts); median of 3 runs' p99.
 *   Earlier rows, kept for comparison with earlier runs: the same
 *     redis-benchmark with -r 100000 -P 64 (the baseline before issue 9),
 *     and the replica's lag at a steady 100k/s (redisSteadyLag.ts).
 *
 * Without `redis-server` or `redis-benchmark` on PATH it says why on stderr
 * and returns one row keyed REDIS_UNAVAILABLE; the rows that need a Redis
 * figure then read n/a with that reason, and nothing fails.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lagLoadMs } from './batchLagLoad.js';
import { REDIS_UNAVAILABLE } from './figures.js';
import { repeats, scaled } from './benchConfig.js';
import { type RedisConvergedRun, redisConverged, resetPair } from './redisConverged.js';
import { closeRedisPair, onPath, type RedisPair, startRedisPair } from './redisServer.js';
import { redisSteadyLag } from './redisSteadyLag.js';
import { type RedisWaitLagRun, redisWaitLag } from './redisWaitLag.js';
import { type BenchResult, medianRun } from './stats.js';
import { withTempDir } from './tempDir.js';
import { ISSUE9_BATCH, ISSUE9_ITEMS, ISSUE9_SIGNALS } from './workload.js';

/** redis-benchmark's default connection count, stated rather than implied. */
const CLIENTS = 50;

export async function redisBaseline(): Promise<BenchResult[]> {
  const missing = await missingTools();
  if (missing !== null) {
    process.stderr.write(`bench redis: skipped: ${missing}; the Redis-native ratio rows read n/a\n`);
    return [{ benchmark: `redis: skipped (${missing})`, measured: NaN, unit: '', goal: null, key: REDIS_UNAVAILABLE, note: 'skipped', details: { reason: missing } }];
  }
  return withTempDir(async (root) => {
    const [primaryDir, replicaDir] = [join(root, 'primary'), join(root, 'replica')];
    await Promise.all([mkdir(primaryDir), mkdir(replicaDir)]);
    const pair = await startRedisPair(primaryDir, replicaDir);
    try {
      return [...(await issue9Rows(pair)), ...(await earlierRows(pair))];
    } finally {
      await closeRedisPair(pair);
    }
  });
}

async function missingTools(): Promise<string | null> {
  for (const tool of ['redis-server', 'redis-benchmark']) if (!(await onPath(tool))) return `${tool} not on PATH`;
  return null;
}

async function issue9Rows(pair: RedisPair): Promise<BenchResult[]> {
  const shape = { commands: scaled(ISSUE9_SIGNALS, 1000), members: ISSUE9_ITEMS, pipeline: ISSUE9_BATCH, clients: CLIENTS };
  const natives: RedisConvergedRun[] = [];
  for (let r = 0; r < repeats(3); r++) {
    await resetPair(pair);
    natives.push(await redisConverged(pair, shape));
    process.stderr.write(`  redis: native run ${r + 1}: ${Math.round(natives[r]!.signalsPerSec)} signals/s to converged\n`);
  }
  const durationMs = lagLoadMs();
  const waits: RedisWaitLagRun[] = [];
  for (let r = 0; r < repeats(3); r++) {
    await resetPair(pair);
    waits.push(await redisWaitLag(pair, durationMs));
  }
  const native = medianRun(natives, (x) => x.signalsPerSec);
  const wait = medianRun(waits, (x) => x.lag.p99Ms);
  return [
    {
      benchmark: 'Redis-native: redis-benchmark -P 1000, 5,000 members, to the replica converged', measured: native.signalsPerSec,
      unit: 'signals/s', goal: null, key: 'redis.native', details: { ...shape, ...native, runs: natives.map((x) => x.signalsPerSec) },
    },
    { benchmark: '  redis-benchmark\'s own figure (primary only)', measured: native.benchmarkReportedPerSec, unit: 'requests/s', goal: null },
    {
      benchmark: 'Redis WAIT-style replica lag p99, 50k/s in 100-ZINCRBY batches every 2 ms', measured: wait.lag.p99Ms, unit: 'ms', goal: null,
      key: 'redis.waitLag', details: { durationMs, ...wait, runsP99Ms: waits.map((x) => x.lag.p99Ms) },
    },
    { benchmark: '  Redis WAIT-style replica lag p50', measured: wait.lag.p50Ms, unit: 'ms', goal: null },
    { benchmark: '  achieved write rate (node RESP client)', measured: wait.achievedPerSec, unit: 'signals/s', goal: null },
  ];
}

async function earlierRows(pair: RedisPair): Promise<BenchResult[]> {
  await resetPair(pair);
  const shape = { commands: scaled(ISSUE9_SIGNALS, 1000), members: 100_000, pipeline: 64, clients: CLIENTS };
  const converged = await redisConverged(pair, shape);
  await resetPair(pair);
  const durationMs = lagLoadMs();
  const lag = await redisSteadyLag(pair, durationMs);
  return [
    {
      benchmark: 'earlier Redis baseline: redis-benchmark -P 64, 100k members, to converged', measured: converged.signalsPerSec, unit: 'signals/s',
      goal: null, details: { ...shape, ...converged },
    },
    { benchmark: 'earlier: Redis replica lag p99 at 100k/s (INFO offsets)', measured: lag.lag.p99Ms, unit: 'ms', goal: null, key: 'redis.lag100k', details: { durationMs, ...lag } },
    { benchmark: '  Redis replica lag p50 at 100k/s', measured: lag.lag.p50Ms, unit: 'ms', goal: null },
    { benchmark: '  rate the primary answered', measured: lag.answeredPerSec, unit: 'signals/s', goal: null },
    { benchmark: '  convergence after the load stopped', measured: lag.convergedAfterLoadMs, unit: 'ms', goal: null },
  ];
}
