/**
 * SIGKILL during merges: nothing acknowledged under fsync is lost, and the
 * directory a kill leaves (mid-merge, mid-seal, mid-checkpoint) always
 * reopens to exactly the workload's seqnos 1..lastSeq. The child
 * (fixtures/mergeCrashWriter.ts) seals every 3 ms, so the WAL merges small
 * segments all the time; each round kills it at a random moment (seeded:
 * CRASH_SEED=<n>), reopens the directory, checks, and lets the next round
 * continue from it. After each kill the segment files are within the
 * bound (walFileBound, plus the inputs of one cut-short merge), although
 * the child keeps every segment (history): the merges happened.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seededRandom } from '../../streams/seededRandom.js';
import { TidalDb } from '../../src/index.js';
import { defaultMergePolicy, walFileBound, zoneBound } from '../../src/wal/planMerge.js';
import { parseSegmentFileName, segmentFileName } from '../../src/wal/segmentStore.js';
import { compileWithTsc, privateBuildDir } from './fixtures/compileWithTsc.js';
import { killRunningChildren, runAndKill } from './fixtures/runAndKill.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS } from './fixtures/workload.js';
import { WorkloadReference } from './fixtures/workloadReference.js';

const ROUNDS = 6;
const MAX_KILL_DELAY_MS = 800;
const SEED = Number(process.env.CRASH_SEED ?? 20_261_204);
/** The child's policy: the default for its 64 KiB segments. */
const POLICY = defaultMergePolicy(64 * 1024);
const TSCONFIG = fileURLToPath(new URL('./fixtures/tsconfig.mergeCrashWriter.json', import.meta.url));

let buildDir: string;
let childJs: string;
let dataDir: string;

beforeAll(() => {
  buildDir = privateBuildDir('mergeCrashWriter');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-mergecrash-'));
  childJs = compileWithTsc(TSCONFIG, buildDir, 'test/wal/fixtures/mergeCrashWriter.js');
});

afterAll(() => {
  killRunningChildren();
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it(`keeps every seqno acknowledged under fsync across ${ROUNDS} SIGKILLs while segments merge (seed ${SEED})`, async () => {
  const random = seededRandom(SEED);
  const reference = await WorkloadReference.open();
  let recoveredSeq = 0;
  let idsUsed = 0;
  let filesKept = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const killDelayMs = 200 + Math.floor(random() * MAX_KILL_DELAY_MS);
      const { readySeq, maxAckedSeq } = await runAndKill(childJs, dataDir, killDelayMs);
      const label = `round ${round} (seed ${SEED}, killed ${killDelayMs} ms after the first ack)`;
      const ids = fs.readdirSync(dataDir).map(parseSegmentFileName).filter((p) => p !== null).map((p) => p.segmentId);
      idsUsed += Math.max(...ids) - Math.min(...ids) + 1;
      filesKept += ids.length;
      // The bound, plus the inputs of a merge the kill may have cut short (at most a zone's worth).
      const bytes = ids.reduce((n, id) => n + fs.statSync(path.join(dataDir, segmentFileName(0, id))).size, 0);
      expect(ids.length, `${label}: segment files`).toBeLessThanOrEqual(walFileBound(POLICY, bytes) + zoneBound(POLICY));
      expect(readySeq, `${label}: the child recovered less than was there`).toBe(recoveredSeq);
      const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: dataDir });
      try {
        expect(db.lastSeq, `${label}: acknowledged seqnos lost`).toBeGreaterThanOrEqual(maxAckedSeq);
        expect(snapshotOf(db), `${label}: recovered state differs from seqnos 1..${db.lastSeq}`).toEqual(await reference.snapshotAt(db.lastSeq));
        recoveredSeq = db.lastSeq;
        await db.wal.mergesSettled();
      } finally {
        await db.close();
      }
    }
  } finally {
    await reference.close();
  }
  // Each round's child kept every segment (history); the test's reopen and close drop them after checking.
  // (How many merged away depends on how many ticks a round gets past the newest 32, so on the machine's speed.)
  expect(filesKept, `segment files found after the kills, against segment ids the rounds used (${idsUsed})`).toBeLessThan(idsUsed);
}, 120_000);
