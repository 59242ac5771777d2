/**
 * `npm run bench`: runs the benchmarks, prints issue 9's table (its rows
 * and goals, issue9Rows.ts, each ratio from figures of this run) and then
 * every benchmark's own rows (benchmark | measured | goal | met?), and
 * writes the results as JSON to bench-results/bench-<ISO date>.json and
 * bench-results/latest.json.
 *
 *   BENCH_SCALE=0.05 npm run bench          everything, at 5% of the sizes
 *   BENCH_ONLY=ingest,queries npm run bench  a subset (names below)
 *   BENCH_REPEAT=1 npm run bench            one run where the median of 3 is the default
 *
 * A benchmark that throws is reported as FAILED and makes the exit code 1;
 * the others still run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BENCH_ONLY, BENCH_SCALE } from './benchConfig.js';
import { boundedMemory } from './boundedMemory.js';
import { Figures } from './figures.js';
import { ingest } from './ingest.js';
import { issue9Rows } from './issue9Rows.js';
import { jetStreamReplication } from './jetStreamReplication.js';
import { lag } from './lag.js';
import { memory } from './memory.js';
import { queries } from './queries.js';
import { quorumWait } from './quorumWait.js';
import { recovery } from './recovery.js';
import { redisBaseline } from './redisBaseline.js';
import { replication } from './replication.js';
import { replicationComparison } from './replicationComparison.js';
import { replicaWorkers } from './replicaWorkers.js';
import { type BenchResult, formatTable, goalMet } from './stats.js';
import { tcpBatchLag } from './tcpBatchLag.js';
import { tcpReplication } from './tcpReplication.js';

const BENCHMARKS: ReadonlyArray<readonly [string, () => Promise<BenchResult[]>]> = [
  ['ingest', ingest],
  ['recovery', recovery],
  ['queries', queries],
  ['memory', memory],
  ['boundedMemory', boundedMemory],
  ['replication', replication],
  ['workers', replicaWorkers],
  ['lag', lag],
  ['tcp', tcpReplication],
  ['tcpLag', tcpBatchLag],
  ['jetstream', jetStreamReplication],
  ['redis', redisBaseline],
  ['quorum', quorumWait],
];

const RESULTS_DIR = 'bench-results';

interface Failure {
  readonly name: string;
  readonly error: string;
}

/**
 * SIGINT or SIGTERM ends the bench through process.exit, so the 'exit'
 * handlers of the children it started (follower processes, redis-server,
 * nats-server) kill them: Node's default for these signals exits without
 * running 'exit' handlers, which left a nats-server behind.
 */
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping the servers and processes it started\n`);
    process.exit(130);
  });
}

async function main(): Promise<void> {
  if (BENCH_ONLY) {
    const unknown = [...BENCH_ONLY].filter((n) => !BENCHMARKS.some(([name]) => name === n));
    if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map(([n]) => n).join(', ')}`);
  }
  if (!globalThis.gc) process.stderr.write('warning: run with node --expose-gc for steadier numbers\n');
  const results: BenchResult[] = [];
  const failures: Failure[] = [];
  const timings: Record<string, number> = {};
  for (const [name, run] of BENCHMARKS) {
    if (BENCH_ONLY && !BENCH_ONLY.has(name)) continue;
    process.stderr.write(`bench: ${name} (scale ${BENCH_SCALE}) …\n`);
    const t0 = performance.now();
    try {
      results.push(...(await run()));
    } catch (err) {
      const error = (err as Error).stack ?? String(err);
      failures.push({ name, error });
      process.stderr.write(`bench: ${name} FAILED\n${error}\n`);
    }
    timings[name] = Math.round(performance.now() - t0);
  }
  const figures = new Figures(results, { ran: new Set(Object.keys(timings)), failed: new Set(failures.map((f) => f.name)) });
  const issue9 = issue9Rows(figures);
  const all = [...results, ...replicationComparison(figures)];
  printTables(issue9, all, failures);
  await writeJson(issue9, all, failures, timings);
  if (failures.length > 0) process.exitCode = 1;
}

function printTables(issue9: readonly BenchResult[], results: readonly BenchResult[], failures: readonly Failure[]): void {
  const rows: BenchResult[] = [
    ...results,
    ...failures.map((f) => ({ benchmark: `${f.name}: FAILED`, measured: NaN, unit: '', goal: null })),
  ];
  const note = BENCH_SCALE === 1 ? '' : ` (BENCH_SCALE=${BENCH_SCALE}: sizes scaled, goals are for scale 1)`;
  process.stdout.write(`\ntidaldb benchmarks, node ${process.version}, ${cpus().length} cpus${note}\n\n`
    + `Issue 9 (each ratio against the Redis-native figure of this run; command: BENCH_ONLY=<names> npm run bench)\n\n${formatTable(issue9)}\n\n`
    + `Every benchmark's rows\n\n${formatTable(rows)}\n`);
}

async function writeJson(
  issue9: readonly BenchResult[], results: readonly BenchResult[], failures: readonly Failure[], timingsMs: Record<string, number>,
): Promise<void> {
  const date = new Date().toISOString();
  const judged = (rows: readonly BenchResult[]) => rows.map((r) => ({ ...r, met: goalMet(r) }));
  const body = JSON.stringify({
    date, scale: BENCH_SCALE, node: process.version, platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, only: BENCH_ONLY ? [...BENCH_ONLY] : null,
    issue9: judged(issue9), results: judged(results), failures, timingsMs,
  }, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2);
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `bench-${date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, body);
  await writeFile(join(RESULTS_DIR, 'latest.json'), body);
  process.stdout.write(`\nwrote ${file} and ${join(RESULTS_DIR, 'latest.json')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
