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
 * project's own tsc (fixtures/compileWithTsc.ts) into a private directory
 * under .tmp/. `npm run crash` (test/crash/) runs the same writer for as many
 * cycles as asked, with torn tails injected between them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seededRandom } from '../../streams/seededRandom.js';
import { TidalDb } from '../../src/index.js';
import { compileWithTsc, privateBuildDir } from './fixtures/compileWithTsc.js';
import { killRunningChildren, runAndKill } from './fixtures/runAndKill.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS } from './fixtures/workload.js';
import { WorkloadReference } from './fixtures/workloadReference.js';

const ROUNDS = 8;
/** Kill this long after the child's first acknowledgement: always mid-stream, short enough to keep the test fast. */
const MAX_KILL_DELAY_MS = 400;
const SEED = Number(process.env.CRASH_SEED ?? 20_251_125);
const TSCONFIG = fileURLToPath(new URL('./fixtures/tsconfig.crashWriter.json', import.meta.url));

let buildDir: string;
let childJs: string;
let dataDir: string;

beforeAll(() => {
  buildDir = privateBuildDir('crashWriter');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-crashkill-'));
  childJs = compileWithTsc(TSCONFIG, buildDir, 'test/wal/fixtures/crashWriter.js');
});

afterAll(() => {
  killRunningChildren();
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it(`keeps every seqno acknowledged under fsync across ${ROUNDS} SIGKILLs at random moments (seed ${SEED})`, async () => {
  const random = seededRandom(SEED);
  const reference = await WorkloadReference.open();
  let recoveredSeq = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const killDelayMs = Math.floor(random() * MAX_KILL_DELAY_MS);
      const { readySeq, maxAckedSeq } = await runAndKill(childJs, dataDir, killDelayMs);
      const label = `round ${round} (seed ${SEED}, killed ${killDelayMs} ms after the first ack)`;
      expect(readySeq, `${label}: the child recovered less than was there`).toBe(recoveredSeq);
      expect(maxAckedSeq, `${label}: the child acknowledged nothing before the kill`).toBeGreaterThan(readySeq);

      const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: dataDir });
      try {
        expect(db.lastSeq, `${label}: acknowledged seqnos lost`).toBeGreaterThanOrEqual(maxAckedSeq);
        expect(snapshotOf(db), `${label}: recovered state differs from seqnos 1..${db.lastSeq}`).toEqual(await reference.snapshotAt(db.lastSeq));
        recoveredSeq = db.lastSeq;
      } finally {
        await db.close();
      }
    }
  } finally {
    await reference.close();
  }
});
