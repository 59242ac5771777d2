/**
 * One `redis-benchmark` ZINCRBY run against a Redis primary, timed until
 * its replica has all of it: N ÷ (spawning redis-benchmark → the replica's
 * `master_repl_offset` reaching the primary's, polled every 1 ms on a RESP
 * connection). N is the ZINCRBY count in the primary's commandstats, and
 * the replica's must match it.
 *
 *   redis-benchmark -n N -r MEMBERS -P PIPELINE -c CLIENTS -q zincrby view 1 member:__rand_int__
 *
 * `-r MEMBERS` expands `__rand_int__` to one of MEMBERS values, so the
 * sorted set has MEMBERS members, as tidaldb's workload has items.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pollUntil } from './pollUntil.js';
import type { RedisPair } from './redisServer.js';
import { parseInfo, type RespClient } from './respClient.js';

const run = promisify(execFile);
/** A million ZINCRBYs take 2 to 10 s here, depending on the pipeline; anything near this is a hang. */
export const REDIS_RUN_TIMEOUT_MS = 300_000;

export interface RedisBenchmarkShape {
  readonly commands: number;
  readonly members: number;
  /** redis-benchmark -P: commands each client keeps in flight. */
  readonly pipeline: number;
  /** redis-benchmark -c: connections. */
  readonly clients: number;
}

export interface RedisConvergedRun {
  readonly command: string;
  readonly signalsPerSec: number;
  readonly signals: number;
  readonly benchmarkSeconds: number;
  readonly convergedSeconds: number;
  /** redis-benchmark's own requests/s: answered by the primary, replica not included. */
  readonly benchmarkReportedPerSec: number;
  /** ZCARD of the set afterwards: at most `members`. */
  readonly distinctMembers: number;
}

/** Runs redis-benchmark as `shape` says and times it until the replica converged. */
export async function redisConverged(pair: RedisPair, shape: RedisBenchmarkShape): Promise<RedisConvergedRun> {
  const { primary, replica } = pair;
  const args = [
    '-h', '127.0.0.1', '-p', String(primary.port), '-n', String(shape.commands), '-r', String(shape.members),
    '-P', String(shape.pipeline), '-c', String(shape.clients), '-q', 'zincrby', 'view', '1', 'member:__rand_int__',
  ];
  const t0 = performance.now();
  const { stdout } = await run('redis-benchmark', args, { timeout: REDIS_RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  const benchmarkSeconds = (performance.now() - t0) / 1000;
  const target = await primary.replicationOffset();
  const convergedMs = await pollUntil(async () => (await replica.replicationOffset()) >= target, { sinceMs: t0, timeoutMs: REDIS_RUN_TIMEOUT_MS });
  if (!Number.isFinite(convergedMs)) throw new Error(`redis: replica not at the primary's offset ${target} after ${REDIS_RUN_TIMEOUT_MS} ms`);
  const signals = await zincrbyCalls(primary.rc);
  const replicated = await zincrbyCalls(replica.rc);
  if (signals < shape.commands || replicated !== signals) {
    throw new Error(`redis: ${signals} ZINCRBY on the primary and ${replicated} on the replica, expected ${shape.commands} on both`);
  }
  const distinctMembers = Number(await primary.rc.call(['ZCARD', 'view']));
  if (!(distinctMembers <= shape.members)) throw new Error(`redis: ${distinctMembers} members in the set, expected at most ${shape.members}`);
  const reported = [...stdout.matchAll(/([\d.]+) requests per second/g)].pop();
  return {
    command: `redis-benchmark ${args.slice(4).join(' ')}`, signalsPerSec: signals / (convergedMs / 1000), signals, benchmarkSeconds,
    convergedSeconds: convergedMs / 1000, benchmarkReportedPerSec: reported ? Number(reported[1]) : NaN, distinctMembers,
  };
}

/** `cmdstat_zincrby:calls=…` since the last CONFIG RESETSTAT. */
async function zincrbyCalls(client: RespClient): Promise<number> {
  const stat = parseInfo(await client.call(['INFO', 'commandstats'])).get('cmdstat_zincrby') ?? 'calls=0';
  return Number(/calls=(\d+)/.exec(stat)?.[1] ?? 0);
}

/** Empties both (FLUSHALL replicates), waits for the replica, and zeroes the command counters: a fresh start for the next run. */
export async function resetPair({ primary, replica }: RedisPair): Promise<void> {
  await primary.rc.call(['FLUSHALL']);
  const target = await primary.replicationOffset();
  await pollUntil(async () => (await replica.replicationOffset()) >= target, { timeoutMs: REDIS_RUN_TIMEOUT_MS });
  await Promise.all([primary.rc.call(['CONFIG', 'RESETSTAT']), replica.rc.call(['CONFIG', 'RESETSTAT'])]);
}
