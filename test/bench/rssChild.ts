/**
 * Child process of memory.ts: builds an in-memory database from the corpus,
 * collects garbage and prints one JSON line with its memory use. A fresh
 * process, so nothing an earlier benchmark allocated is counted.
 *
 *   node --expose-gc dist/test/bench/rssChild.js <items> <signals> <withText 0|1>
 */
import { TidalDb } from '../../src/index.js';
import { populateCorpus } from './corpus.js';
import { yieldToEventLoop } from './workload.js';

const MB = 1024 * 1024;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await yieldToEventLoop();
    globalThis.gc?.();
  }
}

async function main(): Promise<void> {
  const [items, signals, withText] = process.argv.slice(2).map(Number);
  if (!items || !signals || (withText !== 0 && withText !== 1)) throw new Error(`usage: rssChild.js <items> <signals> <withText 0|1>, got ${process.argv.slice(2).join(' ')}`);
  if (!globalThis.gc) throw new Error('rssChild needs node --expose-gc');
  await settle();
  const baselineRss = process.memoryUsage().rss;
  const db = await TidalDb.open();
  try {
    await populateCorpus(db, { items, signals, withText: withText === 1 });
    await settle();
    const m = process.memoryUsage();
    const walBytes = db.wal.sealedSegments.reduce((sum, s) => sum + s.byteLength, 0) + db.wal.activeBytes;
    process.stdout.write(`${JSON.stringify({
      rssMb: m.rss / MB, baselineRssMb: baselineRss / MB, heapUsedMb: m.heapUsed / MB,
      externalMb: m.external / MB, arrayBuffersMb: m.arrayBuffers / MB, walMb: walBytes / MB, lastSeq: db.lastSeq,
    })}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
