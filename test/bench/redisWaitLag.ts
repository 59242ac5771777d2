/**
 * Redis replica lag measured as `WAIT` measures it, under issue 9's lag
 * load (batchLagLoad.ts): every 2 ms this process pipelines 100 ZINCRBY on
 * the 5,000-member set and then `WAIT 1 <timeout>` on one RESP connection
 * to the primary. WAIT answers once the replica has acknowledged every
 * write this connection made (the primary asks it with REPLCONF GETACK at
 * once), so a sample runs from the batch's write until WAIT's answer: the
 * age the oldest unacknowledged write reaches, as tidaldb's follower acks
 * are timed in tcpBatchLag.ts. Neither Redis server persists anything.
 *
 * WAIT blocks the connection until it answers, so a slow answer delays the
 * next batch's processing, and that delay counts in the next sample: the
 * writes were made on time and were waiting.
 */
import { LAG_BATCH_SIZE, LAG_BATCHES_PER_SEC, LAG_ITEMS, LAG_WARMUP_MS, steadyLag } from './batchLagLoad.js';
import { MarkLag } from './markLag.js';
import { pacedWrites } from './pacedWrites.js';
import { pollUntil } from './pollUntil.js';
import { REDIS_RUN_TIMEOUT_MS } from './redisConverged.js';
import type { RedisPair } from './redisServer.js';
import { RespClient, RespError, type RespValue } from './respClient.js';
import type { LatencySummary } from './stats.js';
import { rng } from './workload.js';

/** A replica on loopback acks in well under a millisecond; 1 s without one is a stalled replica, counted in `waitTimeouts`. */
const WAIT_TIMEOUT_MS = 1000;

export interface RedisWaitLagRun {
  readonly lag: LatencySummary;
  readonly p99BySecondMs: readonly number[];
  /** Signals written per second over the whole load, warm-up included. */
  readonly achievedPerSec: number;
  /** WAITs that answered 0 replicas (timed out). */
  readonly waitTimeouts: number;
  readonly writeErrors: number;
}

export async function redisWaitLag(pair: RedisPair, durationMs: number): Promise<RedisWaitLagRun> {
  const members = Array.from({ length: LAG_ITEMS }, (_, i) => `member:${String(i).padStart(12, '0')}`);
  const random = rng(37);
  const writer = await RespClient.connect(pair.primary.port);
  const stamps = new MarkLag();
  let waitTimeouts = 0;
  let writeErrors = 0;
  const onWrite = (reply: RespValue): void => {
    if (reply instanceof RespError) writeErrors++;
  };
  try {
    const loadStart = performance.now();
    const load = await pacedWrites(LAG_BATCHES_PER_SEC, LAG_WARMUP_MS + durationMs, (batch) => {
      const writtenAt = performance.now();
      for (let k = 0; k < LAG_BATCH_SIZE; k++) writer.command(['ZINCRBY', 'view', '1', members[Math.floor(random() * LAG_ITEMS)]!], onWrite);
      stamps.written(batch, writtenAt);
      writer.command(['WAIT', '1', String(WAIT_TIMEOUT_MS)], (reply) => {
        if (reply instanceof RespError) writeErrors++;
        else if (reply !== 1) waitTimeouts++;
        stamps.reached(batch);
      });
    });
    const answered = await pollUntil(() => writer.pendingReplies === 0, { timeoutMs: REDIS_RUN_TIMEOUT_MS });
    if (!Number.isFinite(answered)) throw new Error(`redis WAIT lag: ${writer.pendingReplies} replies missing after ${REDIS_RUN_TIMEOUT_MS} ms`);
    return {
      ...steadyLag(stamps, loadStart + LAG_WARMUP_MS), achievedPerSec: (load.written * LAG_BATCH_SIZE) / load.seconds, waitTimeouts, writeErrors,
    };
  } finally {
    writer.close();
  }
}
