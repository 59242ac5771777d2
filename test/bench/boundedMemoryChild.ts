/**
 * Child process of boundedMemory.ts: an in-memory leader shipping to one
 * in-memory follower that keeps up (in-process transport), fed `signals`
 * signals over 1,000 items in chunks, with default retention
 * (wal.maxRetainedBytes 64 MiB in memory). Samples the sealed bytes each
 * side holds after every chunk and the RSS (after GC) after every million.
 * Prints one JSON line.
 *
 *   node --expose-gc dist/test/bench/boundedMemoryChild.js <signals> <checkpoints> <shipIntervalMs>
 *
 * <checkpoints>: a number > 0 checkpoints both sides after every that many
 * signals (the issue's measurement checkpointed after every million); 0
 * leaves it to the pipelines' own checkpoints (every 60 s by default);
 * 'pressure' also checkpoints a side once it holds more than half of
 * wal.maxRetainedBytes (checked after every chunk): what a checkpoint
 * triggered by retained bytes would do.
 */
import { FollowerDb, TidalDb } from '../../src/index.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY } from '../../src/limits.js';
import { yieldToEventLoop } from './workload.js';

const MB = 1024 * 1024;
const CHUNK = 10_000;
const ITEMS = 1_000;
const RSS_EVERY = 500_000;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await yieldToEventLoop();
    globalThis.gc?.();
  }
}

async function main(): Promise<void> {
  const [signals, shipIntervalMs] = [Number(process.argv[2]), Number(process.argv[4])];
  const pressure = process.argv[3] === 'pressure';
  const checkpointEvery = pressure ? 0 : Number(process.argv[3]);
  if (!signals || !(checkpointEvery >= 0) || !shipIntervalMs) throw new Error(`usage: boundedMemoryChild.js <signals> <checkpointEvery|0|pressure> <shipIntervalMs>, got ${process.argv.slice(2).join(' ')}`);
  if (!globalThis.gc) throw new Error('boundedMemoryChild needs node --expose-gc');
  await settle();
  const baselineRssMb = process.memoryUsage().rss / MB;
  const t0 = performance.now();
  const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
  const follower = await FollowerDb.open();
  const transport = new InProcessTransport({ capacity: 8 });
  const leaderHandle = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs });
  const followerHandle = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 100 });
  const rssMb: number[] = [];
  const heapMb: number[] = [];
  const externalMb: number[] = [];
  let pressureCheckpoints = 0;
  let maxLeaderSealedMb = 0;
  let maxFollowerSealedMb = 0;
  let maxLagEvents = 0;
  const now = Date.now();
  try {
    for (let n = 0; n < signals; n += CHUNK) {
      for (let i = n; i < n + CHUNK; i++) void leader.signal({ itemId: `item-${(i * 7919) % ITEMS}`, type: 'view', at: now - (i % 60_000) });
      await new Promise((resolve) => setTimeout(resolve, 0));
      maxLeaderSealedMb = Math.max(maxLeaderSealedMb, leader.wal.sealedBytes / MB);
      maxFollowerSealedMb = Math.max(maxFollowerSealedMb, follower.wal.sealedBytes / MB);
      maxLagEvents = Math.max(maxLagEvents, leader.lastSeq - follower.lastSeq);
      const done = n + CHUNK;
      if (checkpointEvery > 0 && done % checkpointEvery === 0) {
        await leader.checkpoint();
        await follower.checkpoint();
      }
      for (const db of pressure ? [leader, follower] : []) {
        if (db.wal.sealedBytes <= DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY / 2) continue;
        await db.checkpoint();
        pressureCheckpoints++;
      }
      if (done % RSS_EVERY === 0) {
        await settle();
        const m = process.memoryUsage();
        rssMb.push(m.rss / MB);
        heapMb.push(m.heapUsed / MB);
        externalMb.push(m.external / MB);
      }
    }
    await leaderHandle.awaitInSync({ timeoutMs: 120_000 });
  } finally {
    await leaderHandle.stop();
    await followerHandle.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({
    signals, checkpointEvery, pressure, pressureCheckpoints, shipIntervalMs, seconds, baselineRssMb, rssMb, heapMb, externalMb, maxLeaderSealedMb, maxFollowerSealedMb, maxLagEvents,
    leaderLastSeq: leader.lastSeq, followerLastSeq: follower.lastSeq,
    leaderCheckpoints: leader.metrics.snapshot().gauges['checkpoints.written'], leaderSealedSegments: leader.wal.sealedSegments.length,
  })}\n`);
  await leader.close();
  await follower.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
