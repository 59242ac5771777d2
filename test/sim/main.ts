/**
 * `npm run sim`: the deterministic simulation on demand.
 *
 *   npm run sim -- --seeds 100000            many seeds, with progress (from --from, default 1)
 *   npm run sim -- --seed 1234 --verbose     one seed, with its whole trace
 *   npm run sim -- --seeds 1000 --steps 50   shorter runs
 *   npm run sim -- --seed 95 --expose promote-race   without the workaround of a known defect
 *   node .tmp/sim/test/sim/main.js --from 1 --seeds 500 --json   one JSON summary line (simulation.test.ts)
 *
 * Exits 1 if any seed violates a guarantee, printing each failing seed's
 * violation and the command that replays it.
 */
import { parseArgs } from 'node:util';
import { isKnownDefect, type KnownDefect, WORKAROUND_OF, workaroundsExposing } from './knownDefects.js';
import { MAX_STEPS } from './simConfig.js';
import { runSimulation, type SimResult } from './simulation.js';
import { addRun, describeSummary, emptySummary } from './sweepSummary.js';

/** Progress goes out at most this often. */
const PROGRESS_EVERY_MS = 2_000;
/** With --json, the trace hashes of this many first seeds go in the summary (determinism across processes). */
const HASHED_SEEDS = 3;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string' }, seed: { type: 'string' }, from: { type: 'string' }, steps: { type: 'string' },
      verbose: { type: 'boolean', default: false }, expose: { type: 'string', multiple: true }, json: { type: 'boolean', default: false },
    },
  });
  const exposed = values.expose ?? [];
  for (const name of exposed) if (!isKnownDefect(name)) throw new Error(`--expose takes one of ${Object.keys(WORKAROUND_OF).join(', ')}, got ${JSON.stringify(name)}`);
  const workarounds = workaroundsExposing(exposed as KnownDefect[]);
  const steps = values.steps === undefined ? undefined : integer('--steps', values.steps, MAX_STEPS);
  const first = values.seed !== undefined ? integer('--seed', values.seed) : values.from !== undefined ? integer('--from', values.from) : 1;
  const count = values.seed !== undefined ? 1 : integer('--seeds', values.seeds ?? '100');
  const summary = emptySummary();
  const startedAt = performance.now();
  const cpuAtStart = process.cpuUsage();
  let lastProgress = startedAt;
  for (let seed = first; seed < first + count; seed++) {
    const result = await runSimulation({ seed, steps, keepTrace: values.verbose, workarounds });
    addRun(summary, result, { steps, expose: exposed });
    if (seed < first + HASHED_SEEDS) summary.hashes[seed] = result.traceHash;
    if (values.verbose) printRun(result);
    if (!values.json && result.violations.length > 0) console.log(summary.failures[summary.failures.length - 1]);
    const now = performance.now();
    if (!values.json && now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      console.log(`  ${summary.runs}/${count} seeds, ${summary.failing} failing, ${((now - startedAt) / 1000).toFixed(1)} s`);
    }
  }
  summary.wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuAtStart);
  summary.cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(values.json ? JSON.stringify(summary) : `seeds ${first}..${first + count - 1}: ${describeSummary(summary)}`);
  return summary.failing > 0 ? 1 : 0;
}

function printRun(r: SimResult): void {
  console.log(`seed ${r.seed}: config ${JSON.stringify(r.config)}`);
  for (const line of r.trace) console.log(`  ${line}`);
  console.log(`seed ${r.seed}: ${r.stepsRun} steps, ${r.virtualMs} virtual ms, ${r.faults} faults (${r.macroFaults} macro, ${r.linkFaults} on links), `
    + `${r.actions} scheduler actions, checks ${JSON.stringify(r.checks)}, cluster ${JSON.stringify(r.cluster)}, network ${JSON.stringify(r.network)}`);
  console.log(`seed ${r.seed}: trace hash ${r.traceHash}${r.violations.length === 0 ? ', no violation' : ''}`);
}

function integer(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${flag} must be an integer in 0..${max}, got ${JSON.stringify(text)}`);
  return n;
}

main().then((code) => {
  process.exitCode = code;
}, (err: Error) => {
  console.error(err.stack ?? String(err));
  process.exitCode = 2;
});
