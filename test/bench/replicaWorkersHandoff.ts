/**
 * How a segment's bytes should reach replica workers, measured: the time to
 * hand one segment to 4 worker threads until all 4 hold bytes of their own
 * (each acks once it has them), for 64 KiB and 1 MiB segments, three ways:
 *
 *   transfer   copy once into a buffer of its own per worker, transfer it
 *              (what WorkerTransport does: the leader's WAL keeps its bytes)
 *   clone      postMessage without a transfer list: the structured clone
 *              copies on serialize and again on deserialize
 *   SAB ring   copy once into a SharedArrayBuffer slot, post its offset; each
 *              worker copies it out (it must own what its WAL stores, and the
 *              slot is reused once every worker has taken it)
 *
 * Informational rows (no goal): the choice they inform is in
 * docs/architecture.md, "Read replicas in worker threads".
 */
import { Worker } from 'node:worker_threads';
import { scaled } from './benchConfig.js';
import { type BenchResult, median } from './stats.js';

const WORKERS = 4;
const SIZES = [64 * 1024, 1024 * 1024] as const;
const ROUNDS = 3;

type Mode = 'transfer' | 'clone' | 'SAB ring';

/** The worker: takes bytes (or copies them out of the ring) and acks. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
let ring = null;
let held = 0;
parentPort.on('message', (m) => {
  if (m.ring) { ring = m.ring; return; }
  const bytes = m.bytes ?? new Uint8Array(ring, m.off, m.len).slice();
  held = bytes[0] + bytes[bytes.length - 1];
  parentPort.postMessage(held);
});
`;

export async function replicaWorkersHandoff(): Promise<BenchResult[]> {
  const workers = Array.from({ length: WORKERS }, () => new Worker(WORKER_SOURCE, { eval: true }));
  const ring = new SharedArrayBuffer(SIZES[SIZES.length - 1]);
  for (const w of workers) w.postMessage({ ring });
  const results: BenchResult[] = [];
  try {
    for (const size of SIZES) {
      const segment = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
      const iterations = scaled(size >= 1024 * 1024 ? 200 : 2000, 20);
      for (const mode of ['transfer', 'clone', 'SAB ring'] as const) {
        await handoffs(workers, ring, segment, mode, Math.ceil(iterations / 10)); // warm-up
        const rounds: number[] = [];
        for (let r = 0; r < ROUNDS; r++) rounds.push(await handoffs(workers, ring, segment, mode, iterations));
        results.push({
          benchmark: `  segment handoff to ${WORKERS} workers, ${size / 1024} KiB, ${mode}`, measured: median(rounds), unit: 'µs', goal: null,
          details: { sizeBytes: size, workers: WORKERS, iterations, roundsUs: rounds },
        });
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/** Mean µs to hand `segment` to every worker and have every ack back, over `iterations` sequential handoffs. */
async function handoffs(workers: readonly Worker[], ring: SharedArrayBuffer, segment: Uint8Array, mode: Mode, iterations: number): Promise<number> {
  const shared = new Uint8Array(ring);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const acks = workers.map((w) => new Promise((resolve) => w.once('message', resolve)));
    if (mode === 'SAB ring') shared.set(segment, 0);
    for (const w of workers) {
      if (mode === 'transfer') {
        const copy = new Uint8Array(segment);
        w.postMessage({ bytes: copy }, [copy.buffer]);
      } else if (mode === 'clone') {
        w.postMessage({ bytes: segment });
      } else {
        w.postMessage({ off: 0, len: segment.length });
      }
    }
    await Promise.all(acks);
  }
  return ((performance.now() - t0) * 1000) / iterations;
}
