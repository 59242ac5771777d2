/**
 * The earlier Redis lag figure (before issue 9), beside tcpReplication.ts's
 * 100k/s lag: redis-benchmark has no rate limit, so this process drives
 * ZINCRBY at a steady 100,000/s on a 100k-member set over a pipelined RESP
 * connection. After every 100th write it pipelines INFO replication on the
 * same connection: the primary's offset just after that write. The lag is
 * from the write until the replica's offset (polled every 1 ms) reaches it.
 *
 * On the shared 2-core machine the primary answers only about 80k/s of it
 * (docs/benchmarks.md), so the figure is a backlog, not a steady lag.
 */
import { MarkLag } from './markLag.js';
import { pacedWrites } from './pacedWrites.js';
import { pollUntil, sleepMs } from './pollUntil.js';
import { REDIS_RUN_TIMEOUT_MS } from './redisConverged.js';
import type { RedisPair } from './redisServer.js';
import { parseInfo, RespClient, RespError, type RespValue } from './respClient.js';
import { type LatencySummary, summarize } from './stats.js';
import { rng } from './workload.js';

const MEMBERS = 100_000;
const RATE_PER_SEC = 100_000;
const SAMPLE_EVERY = 100;

export interface RedisSteadyLagRun {
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

export async function redisSteadyLag(pair: RedisPair, durationMs: number): Promise<RedisSteadyLagRun> {
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
    await pollUntil(() => writer.pendingReplies === 0, { timeoutMs: REDIS_RUN_TIMEOUT_MS });
    const answeredPerSec = load.written / ((performance.now() - loadStart) / 1000);
    const target = await primary.replicationOffset();
    const convergedAfterLoadMs = await pollUntil(async () => (await replica.replicationOffset()) >= target, { sinceMs: stopAt, timeoutMs: REDIS_RUN_TIMEOUT_MS });
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
