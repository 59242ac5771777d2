/**
 * The Redis figure tidaldb's TCP replication is held to, measured in the
 * same run: a Redis primary and a replica (Debian's `redis-server`) on
 * loopback, no persistence, one signal = one ZINCRBY on a sorted set of
 * 100k members.
 *
 *   to converged: `redis-benchmark -n N -r 100000 -P 64 -c 50 -q zincrby
 *     view 1 member:__rand_int__` (its C client, pipelined: the strongest
 *     Redis figure); N ÷ (spawning redis-benchmark → the replica's
 *     master_repl_offset reaching the primary's, polled every 1 ms on a
 *     RESP connection). N is the ZINCRBY count in the primary's
 *     commandstats, and the replica's must match it. The same without
 *     `-r` (every ZINCRBY on the one member `member:__rand_int__`) is
 *     reported beside it: far cheaper per command, and not the workload
 *     tidaldb runs (100k items), so it carries no ratio goal.
 *   lag: redis-benchmark has no rate limit, so this process drives
 *     ZINCRBY at a steady 100,000/s over a pipelined RESP connection for
 *     5 s × scale (at least 1 s). After every 100th write it pipelines
 *     INFO replication on the same connection: the primary's offset just
 *     after that write. The lag is from the write until the replica's
 *     offset (polled every 1 ms) reaches it.
 *
 * Without `redis-server` and `redis-benchmark` on PATH the benchmark
 * reports itself skipped and does not fail.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scaled } from './benchConfig.js';
import { MarkLag } from './markLag.js';
import { pacedWrites } from './pacedWrites.js';
import { pollUntil, sleepMs } from './pollUntil.js';
import { closeRedisPair, onPath, type RedisPair, startRedisPair } from './redisServer.js';
import { recordRedisFigures } from './replicationComparison.js';
import { parseInfo, RespClient, RespError, type RespValue } from './respClient.js';
import { type BenchResult, type LatencySummary, summarize } from './stats.js';
import { withTempDir } from './tempDir.js';
import { rng } from './workload.js';

const run = promisify(execFile);
const MEMBERS = 100_000;
const RATE_PER_SEC = 100_000;
const SAMPLE_EVERY = 100;
const PIPELINE = 64;
const CLIENTS = 50;
/** A million ZINCRBYs take about 2 s here; anything near this is a hang. */
const RUN_TIMEOUT_MS = 300_000;

interface ConvergedRun {
  readonly command: string;
  readonly signalsPerSec: number;
  readonly signals: number;
  readonly benchmarkSeconds: number;
  readonly convergedSeconds: number;
  /** redis-benchmark's own requests/s: answered by the primary, replica not included. */
  readonly benchmarkReportedPerSec: number;
}

interface SteadyLagRun {
  /** Writes sent per second. */
  readonly achievedPerSec: number;
  /** Writes per second until the primary had answered them all: below 100k when it cannot keep up. */
  readonly answeredPerSec: number;
  readonly lag: LatencySummary;
  /** p99 by second of the load: rising when the primary or replica falls behind. */
  readonly p99BySecondMs: readonly number[];
  readonly convergedAfterLoadMs: number;
  readonly writeErrors: number;
}

export async function redisBaseline(): Promise<BenchResult[]> {
  if (!(await onPath('redis-server')) || !(await onPath('redis-benchmark'))) {
    return [{ benchmark: 'redis baseline: skipped: redis-server not installed', measured: NaN, unit: '', goal: null }];
  }
  const n = scaled(1_000_000, 1000);
  const durationMs = scaled(5000, 1000);
  return withTempDir(async (root) => {
    const [primaryDir, replicaDir] = [join(root, 'primary'), join(root, 'replica')];
    await Promise.all([mkdir(primaryDir), mkdir(replicaDir)]);
    const pair = await startRedisPair(primaryDir, replicaDir);
    try {
      const converged = await convergedRun(pair, n, true);
      await resetPair(pair);
      const oneMember = await convergedRun(pair, n, false);
      await resetPair(pair);
      const lag = await steadyLagRun(pair, durationMs);
      return [
        { benchmark: 'redis replica: ZINCRBY to converged, 100k members', measured: converged.signalsPerSec, unit: 'signals/s', goal: null, details: { ...converged } },
        { benchmark: '  redis-benchmark\'s own figure (primary only)', measured: converged.benchmarkReportedPerSec, unit: 'requests/s', goal: null },
        { benchmark: '  same, one member (no -r): to converged', measured: oneMember.signalsPerSec, unit: 'signals/s', goal: null, details: { ...oneMember } },
        { benchmark: 'redis replica lag p99 at 100k/s', measured: lag.lag.p99Ms, unit: 'ms', goal: null, details: { durationMs, ...lag } },
        { benchmark: '  redis replica lag p50', measured: lag.lag.p50Ms, unit: 'ms', goal: null },
        { benchmark: '  achieved write rate (node RESP client)', measured: lag.achievedPerSec, unit: 'signals/s', goal: null },
        { benchmark: '  rate the primary answered', measured: lag.answeredPerSec, unit: 'signals/s', goal: null },
        { benchmark: '  convergence after the load stopped', measured: lag.convergedAfterLoadMs, unit: 'ms', goal: null },
        ...recordRedisFigures({ convergedPerSec: converged.signalsPerSec, oneMemberPerSec: oneMember.signalsPerSec, lagP99Ms: lag.lag.p99Ms }),
      ];
    } finally {
      await closeRedisPair(pair);
    }
  });
}

/** One redis-benchmark run, timed until the replica has it all; `randomMembers` false: no `-r`, one member. */
async function convergedRun(pair: RedisPair, n: number, randomMembers: boolean): Promise<ConvergedRun> {
  const { primary, replica } = pair;
  const args = [
    '-h', '127.0.0.1', '-p', String(primary.port), '-n', String(n), ...(randomMembers ? ['-r', String(MEMBERS)] : []),
    '-P', String(PIPELINE), '-c', String(CLIENTS), '-q', 'zincrby', 'view', '1', 'member:__rand_int__',
  ];
  const t0 = performance.now();
  const { stdout } = await run('redis-benchmark', args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  const benchmarkSeconds = (performance.now() - t0) / 1000;
  const target = await primary.replicationOffset();
  const convergedMs = await pollUntil(async () => (await replica.replicationOffset()) >= target, { sinceMs: t0, timeoutMs: RUN_TIMEOUT_MS });
  if (!Number.isFinite(convergedMs)) throw new Error(`redis: replica not at the primary's offset ${target} after ${RUN_TIMEOUT_MS} ms`);
  const signals = await zincrbyCalls(pair.primary.rc);
  const replicated = await zincrbyCalls(pair.replica.rc);
  if (signals < n || replicated !== signals) throw new Error(`redis: ${signals} ZINCRBY on the primary and ${replicated} on the replica, expected ${n} on both`);
  const reported = [...stdout.matchAll(/([\d.]+) requests per second/g)].pop();
  return {
    command: `redis-benchmark ${args.slice(4).join(' ')}`, signalsPerSec: signals / (convergedMs / 1000), signals, benchmarkSeconds, convergedSeconds: convergedMs / 1000,
    benchmarkReportedPerSec: reported ? Number(reported[1]) : NaN,
  };
}

/** `cmdstat_zincrby:calls=…` since the last CONFIG RESETSTAT. */
async function zincrbyCalls(client: RespClient): Promise<number> {
  const stat = parseInfo(await client.call(['INFO', 'commandstats'])).get('cmdstat_zincrby') ?? 'calls=0';
  return Number(/calls=(\d+)/.exec(stat)?.[1] ?? 0);
}

/** Empties both (FLUSHALL replicates), waits for the replica, and zeroes the command counters. */
async function resetPair({ primary, replica }: RedisPair): Promise<void> {
  await primary.rc.call(['FLUSHALL']);
  const target = await primary.replicationOffset();
  await pollUntil(async () => (await replica.replicationOffset()) >= target, { timeoutMs: RUN_TIMEOUT_MS });
  await Promise.all([primary.rc.call(['CONFIG', 'RESETSTAT']), replica.rc.call(['CONFIG', 'RESETSTAT'])]);
}

async function steadyLagRun(pair: RedisPair, durationMs: number): Promise<SteadyLagRun> {
  const { primary, replica } = pair;
  const members = Array.from({ length: MEMBERS }, (_, i) => `member:${String(i).padStart(12, '0')}`);
  const random = rng(31);
  const writer = await RespClient.connect(primary.port);
  const stamps = new MarkLag();
  let writeErrors = 0;
  const onWrite = (reply: RespValue): void => {
    if (reply instanceof RespError) writeErrors++;
  };
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      stamps.reached(await replica.replicationOffset());
      await sleepMs(1);
    }
  })();
  const loadStart = performance.now();
  try {
    const load = await pacedWrites(RATE_PER_SEC, durationMs, (i) => {
      writer.command(['ZINCRBY', 'view', '1', members[Math.floor(random() * MEMBERS)]!], onWrite);
      if ((i + 1) % SAMPLE_EVERY !== 0) return;
      const writtenAt = performance.now();
      writer.command(['INFO', 'replication'], (reply) => stamps.written(Number(parseInfo(reply).get('master_repl_offset')), writtenAt));
    });
    const stopAt = performance.now();
    await pollUntil(() => writer.pendingReplies === 0, { timeoutMs: RUN_TIMEOUT_MS });
    const answeredPerSec = load.written / ((performance.now() - loadStart) / 1000);
    const target = await primary.replicationOffset();
    const convergedAfterLoadMs = await pollUntil(async () => (await replica.replicationOffset()) >= target, { sinceMs: stopAt, timeoutMs: RUN_TIMEOUT_MS });
    await pollUntil(() => stamps.pending === 0, { timeoutMs: 1000 });
    return {
      achievedPerSec: load.written / load.seconds, answeredPerSec, lag: summarize(stamps.lagsMs),
      p99BySecondMs: stamps.p99ByWindow(loadStart, 1000), convergedAfterLoadMs, writeErrors,
    };
  } finally {
    watching = false;
    await watcher.catch(() => {});
    writer.close();
  }
}
