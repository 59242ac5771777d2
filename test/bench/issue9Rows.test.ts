import { describe, expect, it } from 'vitest';
import { Figures, REDIS_UNAVAILABLE } from './figures.js';
import { ISSUE9_ROWS, issue9Rows } from './issue9Rows.js';
import { type BenchResult, formatTable, goalMet } from './stats.js';

const figure = (key: string, measured: number): BenchResult => ({ benchmark: key, measured, unit: 'signals/s', goal: null, key });
const ran = (...names: string[]) => ({ ran: new Set(names), failed: new Set<string>() });
const rowOf = (rows: readonly BenchResult[], label: string) => rows.find((r) => r.benchmark.startsWith(label))!;

describe('issue9Rows', () => {
  it('gives one row per row of the issue, in order, each naming the BENCH_ONLY that produces it', () => {
    const rows = issue9Rows(new Figures([], ran()));
    expect(rows.map((r) => r.benchmark)).toEqual(ISSUE9_ROWS.map((r) => r.label));
    expect(rows.every((r) => r.only !== undefined && r.only.length > 0)).toBe(true);
    expect(rows.every((r) => r.note === 'not run' && goalMet(r) === null)).toBe(true);
  });

  it('divides by the Redis-native figure of the same run, taking the better of the in-process follower and one replica worker', () => {
    const figures = new Figures(
      [figure('redis.native', 500_000), figure('replication.oneFollower', 600_000), figure('workers.one', 1_100_000), figure('tcp.oneFollower', 900_000)],
      ran('redis', 'replication', 'workers', 'tcp'),
    );
    const rows = issue9Rows(figures);
    const inProcess = rowOf(rows, 'In process');
    expect(inProcess.measured).toBeCloseTo(2.2);
    expect(inProcess.details?.key).toBe('workers.one');
    expect(goalMet(inProcess)).toBe(true);
    expect(rowOf(rows, 'Over TCP').measured).toBeCloseTo(1.8);
    expect(goalMet(rowOf(rows, 'Over TCP'))).toBe(false);
    expect(rowOf(rows, 'Four replica workers').note).toBe('n/a: workers reported no workers.four');
  });

  it('reads n/a with the reason when Redis is not installed, and judges nothing it cannot measure', () => {
    const skipped: BenchResult = { benchmark: 'redis: skipped', measured: NaN, unit: '', goal: null, key: REDIS_UNAVAILABLE, details: { reason: 'redis-server not on PATH' } };
    const rows = issue9Rows(new Figures([skipped, figure('tcp.oneFollower', 900_000), figure('ingest.batchMemory', 3_100_000)], ran('redis', 'tcp', 'ingest')));
    const tcp = rowOf(rows, 'Over TCP');
    expect(tcp.note).toBe('n/a: redis-server not on PATH');
    expect(goalMet(tcp)).toBeNull();
    expect(goalMet(rowOf(rows, 'signalBatch of 1,000, in memory'))).toBe(true);
    expect(formatTable([tcp])).toContain('n/a: redis-server not on PATH');
  });

  it('says which benchmark failed', () => {
    const rows = issue9Rows(new Figures([], { ran: new Set(['tcpLag']), failed: new Set(['tcpLag']) }));
    expect(rowOf(rows, '  the same at ship 1 ms').note).toBe('tcpLag FAILED');
  });
});
