/**
 * `npm run crash -- --cycles 100`: SIGKILL cycles of a real writer process
 * under fsync, with torn tails injected between some of them, reopening and
 * checking after each (runCrashCycles.ts). Prints a line per cycle and a
 * summary: acknowledged writes and losses, which must be 0. Exits 1 on any
 * loss, state difference or failed reopen, printing a one-line repro.
 *
 *   npm run crash -- --cycles 100                      a new random seed
 *   npm run crash -- --cycles 100 --seed 12345         the same kill moments again
 *   npm run crash -- --torn-probability 1 --keep       tear after every kill, keep the directory
 *
 * `npm run crash` compiles this file, the crash writer and the src/ they
 * import with tsc into .tmp/crash/ (git-ignored), then runs it with node.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killRunningChildren } from '../wal/fixtures/runAndKill.js';
import { type CrashSummary, type CycleReport, runCrashCycles } from './runCrashCycles.js';

const USAGE = `usage: npm run crash -- [--cycles N] [--seed S] [--max-kill-delay-ms MS] [--torn-probability P] [--dir DIR] [--keep] [--json]
  --cycles             kill cycles to run (default 20)
  --seed               seed of the kill moments and torn tails (default: random, printed)
  --max-kill-delay-ms  the kill lands in [0, MS) after the writer's first acknowledgement (default 500)
  --torn-probability   chance of a torn tail after each kill (default 0.5)
  --dir                directory to run in (default: a new one under the OS temp dir, removed after a clean run)
  --keep               keep the directory after a clean run
  --json               end with the summary as one JSON line`;

/** The compiled crash writer sits beside this file's compiled form, as the sources sit. */
const CHILD_JS = fileURLToPath(new URL('../wal/fixtures/crashWriter.js', import.meta.url));

interface CliOptions {
  readonly cycles: number;
  readonly seed: number;
  readonly maxKillDelayMs: number;
  readonly tornProbability: number;
  readonly dir: string | null;
  readonly keep: boolean;
  readonly json: boolean;
}

function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      cycles: { type: 'string' }, seed: { type: 'string' }, 'max-kill-delay-ms': { type: 'string' },
      'torn-probability': { type: 'string' }, dir: { type: 'string' }, keep: { type: 'boolean' }, json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    cycles: integerArg('--cycles', values.cycles ?? '20', 1, 1_000_000),
    seed: integerArg('--seed', values.seed ?? String(Math.floor(Math.random() * 2 ** 31)), 0, 2 ** 32 - 1),
    maxKillDelayMs: integerArg('--max-kill-delay-ms', values['max-kill-delay-ms'] ?? '500', 1, 600_000),
    tornProbability: probabilityArg('--torn-probability', values['torn-probability'] ?? '0.5'),
    dir: values.dir ?? null,
    keep: values.keep ?? false,
    json: values.json ?? false,
  };
}

function integerArg(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) usageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function probabilityArg(name: string, raw: string): number {
  const p = Number(raw);
  if (raw.trim() === '' || !(p >= 0 && p <= 1)) usageError(`${name} must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
  return p;
}

function usageError(message: string): never {
  process.stderr.write(`crash: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function cycleLine(r: CycleReport, cycles: number): string {
  const torn = r.tornTail
    ? `torn: ${r.tornTail.kind} at ${r.tornTail.offset} (${r.tornTail.kind === 'truncate' ? '-' : '+'}${r.tornTail.bytes} B)`
    : 'torn: -';
  const recovered = r.recoveredSeq === null ? 'reopen FAILED' : `recovered ${r.recoveredSeq}${r.tornTailRecovered ? ' (cut a torn tail)' : ''}`;
  const verdict = r.problems.length === 0 ? 'ok' : `FAILED: ${r.problems.join('; ')}`;
  return `cycle ${r.cycle}/${cycles}  kill +${r.killDelayMs} ms  acked ${r.readySeq}..${r.maxAckedSeq} (+${r.maxAckedSeq - r.readySeq})  ${torn}  ${recovered}  ${verdict}`;
}

function summaryLines(s: CrashSummary): string[] {
  const kinds = Object.entries(s.tornTailsByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `crash: ${s.cyclesRun}/${s.cyclesRequested} cycles, seed ${s.seed}, ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  acknowledged writes: ${s.acknowledgedWrites}`,
    `  lost writes:         ${s.lostWrites}`,
    `  torn tails injected: ${s.tornTailsInjected} (${kinds}); reopens that cut a torn tail: ${s.tornTailsRecovered}`,
    `  failed reopens:      ${s.failedReopens}`,
  ];
}

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2));
  if (!fs.existsSync(CHILD_JS)) throw new Error(`no compiled crash writer at ${CHILD_JS}: run this through npm run crash`);
  const dir = cli.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-crash-'));
  fs.mkdirSync(dir, { recursive: true });
  process.on('SIGINT', () => {
    killRunningChildren();
    process.stderr.write(`\ncrash: interrupted; directory kept at ${dir}\n`);
    process.exit(130);
  });
  process.stdout.write(`crash: ${cli.cycles} cycles, seed ${cli.seed}, kill within ${cli.maxKillDelayMs} ms of the first ack, torn tail p=${cli.tornProbability}, in ${dir}\n`);
  const summary = await runCrashCycles({
    cycles: cli.cycles, seed: cli.seed, dir, childJs: CHILD_JS, maxKillDelayMs: cli.maxKillDelayMs,
    tornTailProbability: cli.tornProbability, onCycle: (r) => process.stdout.write(`${cycleLine(r, cli.cycles)}\n`),
  });
  process.stdout.write(`${summaryLines(summary).join('\n')}\n`);
  const failed = summary.problems.length > 0 || summary.lostWrites > 0 || summary.cyclesRun < summary.cyclesRequested;
  if (failed) {
    process.stdout.write(`FAILED: ${summary.problems[0] ?? 'stopped early'}\n`);
    process.stdout.write(`repro: npm run crash -- --cycles ${cli.cycles} --seed ${cli.seed} --max-kill-delay-ms ${cli.maxKillDelayMs} --torn-probability ${cli.tornProbability}\n`);
    process.stdout.write(`directory kept at ${dir}\n`);
  } else if (cli.dir === null && !cli.keep) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (cli.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  killRunningChildren();
  process.stderr.write(`crash: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
