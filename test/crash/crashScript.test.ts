/**
 * CI's short run of `npm run crash`: the script itself (compiled as npm run
 * crash compiles it) for a few SIGKILL cycles with torn tails, asserting its
 * exit code and summary: nothing acknowledged lost, every reopen fine.
 * The long version is `npm run crash -- --cycles 100` (docs/reliability.md).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileWithTsc, privateBuildDir } from '../wal/fixtures/compileWithTsc.js';
import type { CrashSummary } from './runCrashCycles.js';

const CYCLES = 5;
const SEED = 20_251_204;
/** Most cycles tear: 5 cycles should see several kinds of damage. */
const TORN_PROBABILITY = 0.8;
/** A run that has not ended in this long is hung (5 cycles take about 4 s). */
const RUN_TIMEOUT_MS = 60_000;
const TSCONFIG = fileURLToPath(new URL('./tsconfig.crash.json', import.meta.url));

let buildDir: string;
let mainJs: string;
let dataDir: string;

beforeAll(() => {
  buildDir = privateBuildDir('crash');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-crashscript-'));
  mainJs = compileWithTsc(TSCONFIG, buildDir, 'test/crash/main.js');
  expect(fs.existsSync(path.join(buildDir, 'test/wal/fixtures/crashWriter.js'))).toBe(true);
});

afterAll(() => {
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it(`runs ${CYCLES} SIGKILL cycles with torn tails and loses nothing acknowledged (seed ${SEED})`, async () => {
  const { code, stdout, stderr } = await runScript([
    '--cycles', String(CYCLES), '--seed', String(SEED), '--torn-probability', String(TORN_PROBABILITY),
    '--max-kill-delay-ms', '300', '--dir', dataDir, '--json',
  ]);
  const lines = stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1]!) as CrashSummary;
  expect(summary.problems, stdout + stderr).toEqual([]);
  expect(code, stdout + stderr).toBe(0);
  expect(summary).toMatchObject({ cyclesRun: CYCLES, lostWrites: 0, failedReopens: 0 });
  expect(summary.acknowledgedWrites).toBeGreaterThan(CYCLES);
  expect(summary.tornTailsInjected).toBeGreaterThanOrEqual(1);
  expect(lines.filter((l) => /^cycle \d+\/\d+ .* ok$/.test(l))).toHaveLength(CYCLES);
});

it('refuses a bad argument with usage and exit code 2', async () => {
  const { code, stderr } = await runScript(['--cycles', '0']);
  expect(code).toBe(2);
  expect(stderr).toMatch(/--cycles must be an integer from 1/);
});
