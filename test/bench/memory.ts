/**
 * Resident memory of an in-memory database holding 1M signals over 100k
 * items (scaled), measured in a fresh child process (rssChild.ts) after GC.
 * Goal ≤ 150 MB RSS for signals only (issue 9; it was 250 MB before), the
 * median of 3 children; the variant with item text (8 words each) is
 * informational, one child. An in-memory database keeps its WAL segments in
 * memory too, so RSS includes them (reported as walMb).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repeats, scaled } from './benchConfig.js';
import { type BenchResult, medianRun } from './stats.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./rssChild.js', import.meta.url));
/** A child that takes longer than this has hung. */
const CHILD_TIMEOUT_MS = 300_000;

interface ChildReport {
  readonly rssMb: number;
  readonly baselineRssMb: number;
  readonly heapUsedMb: number;
  readonly walMb: number;
  readonly lastSeq: number;
}

export async function memory(): Promise<BenchResult[]> {
  const items = scaled(100_000, 100);
  const signals = scaled(1_000_000, 1000);
  const bares: ChildReport[] = [];
  for (let r = 0; r < repeats(3); r++) bares.push(await measureChild(items, signals, false));
  const bare = medianRun(bares, (x) => x.rssMb);
  const withText = await measureChild(items, signals, true);
  return [
    {
      benchmark: 'RSS, 1M signals over 100k items', measured: bare.rssMb, unit: 'MB', goal: null, key: 'memory.rss',
      details: { items, signals, ...bare, runsMb: bares.map((x) => x.rssMb) },
    },
    {
      benchmark: '  RSS, same plus item text (8 words each)', measured: withText.rssMb, unit: 'MB', goal: null,
      details: { items, signals, ...withText },
    },
  ];
}

async function measureChild(items: number, signals: number, withText: boolean): Promise<ChildReport> {
  const args = ['--expose-gc', CHILD, String(items), String(signals), withText ? '1' : '0'];
  const { stdout } = await run(process.execPath, args, { timeout: CHILD_TIMEOUT_MS, maxBuffer: 1024 * 1024 });
  const line = stdout.trim().split('\n').pop() ?? '';
  const report = JSON.parse(line) as ChildReport;
  const expected = signals + (withText ? items : 0);
  if (report.lastSeq !== expected) throw new Error(`memory: child wrote up to seqno ${report.lastSeq}, expected ${expected}`);
  return report;
}
