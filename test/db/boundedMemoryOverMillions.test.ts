/**
 * Issue 8's memory test, in `npm test`: an in-memory leader with one
 * follower that keeps up, default options, 8M signals (the issue asks for
 * 5M; with batch format v3 a segment holds ~5 bytes a signal on this
 * workload, so the 32 MiB checkpoint-by-bytes trigger first fires past
 * 6.4M). The child is the bench's own (test/bench/boundedMemoryChild.ts),
 * compiled with tsc and run under --expose-gc so RSS is read after GC.
 *
 * Rules: the sealed bytes each side holds never pass the default cap
 * (wal.maxRetainedBytes, 64 MiB in memory); the cap is kept by dropping
 * (a checkpoint ran and what is held fell); RSS after the first million
 * grows by less than the cap.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY } from '../../src/limits.js';
import { compileWithTsc, privateBuildDir } from '../wal/fixtures/compileWithTsc.js';

const SIGNALS = 8_000_000;
const MB = 1024 * 1024;
const CAP_MB = DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY / MB;
const TSCONFIG = fileURLToPath(new URL('./fixtures/tsconfig.boundedMemory.json', import.meta.url));

interface ChildReport {
  rssMb: number[]; externalMb: number[]; maxLeaderSealedMb: number; maxFollowerSealedMb: number;
  leaderLastSeq: number; followerLastSeq: number; leaderCheckpoints: number;
}

let buildDir: string;
let childJs: string;

beforeAll(() => {
  buildDir = privateBuildDir('bounded-memory');
  childJs = compileWithTsc(TSCONFIG, buildDir, 'test/bench/boundedMemoryChild.js');
});

afterAll(() => fs.rmSync(buildDir, { recursive: true, force: true }));

function runChild(): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', childJs, String(SIGNALS), '0', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildReport) : reject(new Error(`boundedMemoryChild exited ${code}:\n${err}`))));
  });
}

it(`an in-memory leader and a follower that keeps up, ${SIGNALS / 1e6}M signals with default options: held bytes stay under the cap, and RSS after the first million grows by less than it`, async () => {
  const r = await runChild();
  expect(r.leaderLastSeq).toBe(SIGNALS);
  expect(r.followerLastSeq).toBe(SIGNALS);
  expect(r.maxLeaderSealedMb).toBeLessThanOrEqual(CAP_MB);
  expect(r.maxFollowerSealedMb).toBeLessThanOrEqual(CAP_MB);
  // The bound was kept by dropping, not by the run being short: a checkpoint ran and the segment bytes held fell.
  expect(r.leaderCheckpoints).toBeGreaterThanOrEqual(1);
  expect(Math.max(...r.externalMb) - r.externalMb.at(-1)!).toBeGreaterThan(10);
  // rssMb is sampled (after GC) every 500k signals: [1] is the first million.
  expect(r.rssMb.at(-1)! - r.rssMb[1]!).toBeLessThan(CAP_MB);
}, 180_000);
