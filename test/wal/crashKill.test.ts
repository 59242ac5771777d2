/**
 * Crash-kill durability: nothing acknowledged under fsync is ever lost.
 *
 * A child process (fixtures/crashWriter.ts) writes the deterministic workload
 * from 32 concurrent writers with `sync: 'fsync'`, reporting the highest
 * acknowledged seqno as it goes, and is killed with SIGKILL at a random
 * moment (seeded: CRASH_SEED=<n> reproduces a run's delays). Then the test
 * reopens the directory itself and checks that
 *   - lastSeq is at least the highest seqno the child saw acknowledged, and
 *   - the state is exactly the workload's seqnos 1..lastSeq (every item,
 *     score, ranking and search result equal to an in-memory reference),
 * closes it (writing a checkpoint), and starts the next round on the same
 * directory, so later rounds recover from checkpoint + WAL after a kill that
 * may have landed mid-seal, mid-checkpoint or mid-segment-removal.
 *
 * The child must be plain JS (Node 20 runs no TypeScript and tsx is not
 * installed), so beforeAll compiles it and the src/ it imports with the
 * project's own tsc (under a second) into a private directory under .tmp/
 * (git-ignored, and inside the project so its bare imports resolve from
 * node_modules). Compiling fresh each run means the child never runs stale
 * code, and nothing touches dist/.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seededRandom } from '../../streams/seededRandom.js';
import { TidalDb } from '../../src/index.js';
import { snapshotOf, WORKLOAD_CLOCK_MS, WORKLOAD_HALF_LIFE_MS, writeNext } from './fixtures/workload.js';

const ROUNDS = 8;
/** Kill this long after the child's first acknowledgement: always mid-stream, short enough to keep the test fast. */
const MAX_KILL_DELAY_MS = 400;
/** A child that acknowledges nothing within this is hung; the test fails rather than waits forever. */
const FIRST_ACK_TIMEOUT_MS = 15_000;
const SEED = Number(process.env.CRASH_SEED ?? 20_251_125);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const TSCONFIG = fileURLToPath(new URL('./fixtures/tsconfig.crashWriter.json', import.meta.url));

let buildDir: string;
let childJs: string;
let dataDir: string;
const children = new Set<ChildProcess>();

beforeAll(() => {
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  buildDir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'crashWriter-'));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-crashkill-'));
  const built = spawnSync(process.execPath, [TSC, '-p', TSCONFIG, '--outDir', buildDir], { encoding: 'utf8' });
  childJs = path.join(buildDir, 'test/wal/fixtures/crashWriter.js');
  // tsc emits even when some unrelated file has a type error (the typecheck reports those); only a missing output is fatal here.
  if (!fs.existsSync(childJs)) throw new Error(`compiling the crash writer failed (exit ${built.status}):\n${built.stdout}${built.stderr}`);
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});


interface Round {
  readonly readySeq: number;
  readonly maxAckedSeq: number;
}

/** Runs the child on `dir`, SIGKILLs it `killDelayMs` after its first acknowledgement, and returns what it reported. */
function runAndKill(dir: string, killDelayMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childJs, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let readySeq = -1;
    let maxAckedSeq = -1;
    let killedByUs = false;
    let pending = '';
    let stderr = '';
    const kill = () => {
      killedByUs = true;
      child.kill('SIGKILL');
    };
    const hungTimer = setTimeout(kill, FIRST_ACK_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      const lines = (pending + s).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [what, n] = line.split(' ');
        if (what === 'ready') {
          readySeq = maxAckedSeq = Number(n);
        } else if (what === 'ack') {
          if (maxAckedSeq === readySeq) {
            clearTimeout(hungTimer);
            setTimeout(kill, killDelayMs);
          }
          maxAckedSeq = Math.max(maxAckedSeq, Number(n));
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      clearTimeout(hungTimer);
      if (readySeq < 0 || !killedByUs || signal !== 'SIGKILL') {
        reject(new Error(`crash writer ended on its own or hung (code ${code}, signal ${signal}, ready ${readySeq}, acked ${maxAckedSeq}):\n${stderr}`));
      } else {
        resolve({ readySeq, maxAckedSeq });
      }
    });
  });
}

it(`keeps every seqno acknowledged under fsync across ${ROUNDS} SIGKILLs at random moments (seed ${SEED})`, async () => {
  const random = seededRandom(SEED);
  const reference = await TidalDb.open({ clock: () => WORKLOAD_CLOCK_MS, halfLifeMs: WORKLOAD_HALF_LIFE_MS });
  let recoveredSeq = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const killDelayMs = Math.floor(random() * MAX_KILL_DELAY_MS);
      const { readySeq, maxAckedSeq } = await runAndKill(dataDir, killDelayMs);
      const label = `round ${round} (seed ${SEED}, killed ${killDelayMs} ms after the first ack)`;
      expect(readySeq, `${label}: the child recovered less than was there`).toBe(recoveredSeq);
      expect(maxAckedSeq, `${label}: the child acknowledged nothing before the kill`).toBeGreaterThan(readySeq);

      const db = await TidalDb.open({ dir: dataDir, clock: () => WORKLOAD_CLOCK_MS, halfLifeMs: WORKLOAD_HALF_LIFE_MS });
      try {
        expect(db.lastSeq, `${label}: acknowledged seqnos lost`).toBeGreaterThanOrEqual(maxAckedSeq);
        const acks: Array<Promise<number>> = [];
        while (reference.lastSeq < db.lastSeq) acks.push(writeNext(reference));
        await Promise.all(acks);
        expect(snapshotOf(db), `${label}: recovered state differs from seqnos 1..${db.lastSeq}`).toEqual(snapshotOf(reference));
        recoveredSeq = db.lastSeq;
      } finally {
        await db.close();
      }
    }
  } finally {
    await reference.close();
  }
});
