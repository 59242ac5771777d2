/**
 * A merge cut short at any step leaves a directory open recovers exactly
 * (docs/wal-format.md, "Merging sealed segments"). The states are made by
 * hand on real files, as a crash or a power loss can leave them:
 *   - a half-written `<id>.wal.tmp` (crash before the rename);
 *   - the merged file in place of the last input, with any subset of the
 *     other inputs still there (crash while removing them; a power loss may
 *     keep any of the unlinks that no directory fsync made durable).
 * Open must replay every event once, tolerate the gap a removed input
 * leaves in front of a surviving one (the merge covers it), and remove the
 * covered files; a second open must find the directory tidy. `tidaldb
 * verify` (checkWalDir) must call each such directory intact, as open does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb, WalError } from '../../src/index.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { mergeSegments } from '../../src/wal/mergeSegments.js';
import { segmentFileName } from '../../src/wal/segmentStore.js';
import { checkWalDir } from '../../streams/cli/checkWalDir.js';
import { tempDir } from '../db/tempDirs.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from './fixtures/workload.js';
import { WorkloadReference } from './fixtures/workloadReference.js';

const wal = { sync: 'fsync', retainSegments: 1_000, packSegments: false } as const;
const file = (dir: string, id: number) => path.join(dir, segmentFileName(0, id));
const segmentIds = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort().map((n) => Number(n.slice(21, 41)));

/** A directory holding sealed segments 1..10 (5 events each) and an active segment 11 (3 events); no merge has run (fewer than 32). */
async function tenSegments(withCheckpoint: boolean): Promise<{ dir: string; lastSeq: number }> {
  const dir = tempDir('merge-crash');
  const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
  for (let s = 0; s < 10; s++) {
    await Promise.all(Array.from({ length: 5 }, () => writeNext(db)));
    await db.wal.seal();
  }
  await Promise.all(Array.from({ length: 3 }, () => writeNext(db)));
  const lastSeq = db.lastSeq;
  expect(db.wal.merges.merges).toBe(0);
  await db.close();
  if (!withCheckpoint) for (const n of fs.readdirSync(dir).filter((f) => f.endsWith('.checkpoint'))) fs.rmSync(path.join(dir, n));
  return { dir, lastSeq };
}

/** Merges segments first..last (by hand, as the WAL does) over `last`'s file, then removes `removed` of the inputs. */
function crashMidMerge(dir: string, first: number, last: number, removed: readonly number[]): void {
  const inputs = [];
  for (let id = first; id <= last; id++) inputs.push(fs.readFileSync(file(dir, id)));
  const merged = mergeSegments(inputs);
  fs.writeFileSync(`${file(dir, last)}.tmp`, merged.bytes);
  fs.renameSync(`${file(dir, last)}.tmp`, file(dir, last));
  for (const id of removed) fs.rmSync(file(dir, id));
}

/** Opens, checks every event 1..lastSeq is there once and the state is the workload's, lets the cleanup run, closes. */
async function expectRecovered(dir: string, lastSeq: number, reference: WorkloadReference): Promise<void> {
  const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
  expect(db.lastSeq).toBe(lastSeq);
  expect(snapshotOf(db)).toEqual(await reference.snapshotAt(lastSeq));
  await db.wal.mergesSettled();
  await db.close();
}

/** The segment files hold seqnos 1..lastSeq once each, in order (nothing covered is left). */
function expectTidy(dir: string, lastSeq: number): void {
  let next = 1;
  const ids = segmentIds(dir);
  for (const [i, id] of ids.entries()) {
    const d = decodeSegment(fs.readFileSync(file(dir, id)), `segment ${id}`, i === ids.length - 1 ? 'active' : 'sealed');
    expect(d.header.firstSeq, `segment ${id}`).toBe(next);
    next = d.lastSeq + 1;
  }
  expect(next - 1).toBe(lastSeq);
}

describe('a merge cut short at any step: open recovers every event and removes what the merge covers', () => {
  const cases: Array<[string, number, number, number[]]> = [
    ['the rename landed, no input removed yet', 2, 8, []],
    ['inputs removed newest first, cut short (7, 6, 5 gone)', 2, 8, [7, 6, 5]],
    ['a power loss kept some unlinks and not others (3, 5, 7 gone: gaps between survivors)', 2, 8, [3, 5, 7]],
    ['only the oldest input removed: the survivors start after a gap', 2, 8, [2]],
    ['every input removed: the merge completed', 2, 8, [2, 3, 4, 5, 6, 7]],
    ['the merge starts the log: segment 1 gone, 2 left', 1, 4, [1, 3]],
    ['the merged segment is the newest sealed one', 7, 10, [8]],
  ];
  for (const withCheckpoint of [false, true]) {
    for (const [what, first, last, removed] of cases) {
      it(`${what} (${withCheckpoint ? 'with' : 'no'} checkpoint)`, async () => {
        const { dir, lastSeq } = await tenSegments(withCheckpoint);
        crashMidMerge(dir, first, last, removed);
        expect((await checkWalDir(dir)).problems).toEqual([]);
        const reference = await WorkloadReference.open();
        try {
          await expectRecovered(dir, lastSeq, reference);
          expectTidy(dir, lastSeq);
          await expectRecovered(dir, lastSeq, reference);
        } finally {
          await reference.close();
        }
      });
    }
  }

  it('a half-written temp file of a merge that never reached its rename is ignored', async () => {
    const { dir, lastSeq } = await tenSegments(false);
    const merged = mergeSegments([3, 4, 5].map((id) => fs.readFileSync(file(dir, id))));
    fs.writeFileSync(`${file(dir, 5)}.tmp`, merged.bytes.subarray(0, merged.bytes.length >> 1));
    const reference = await WorkloadReference.open();
    try {
      await expectRecovered(dir, lastSeq, reference);
      expectTidy(dir, lastSeq);
    } finally {
      await reference.close();
    }
  });

  it('a real gap is still Corruption: a missing segment that no later one covers', async () => {
    const { dir } = await tenSegments(false);
    crashMidMerge(dir, 2, 4, [3]);
    fs.rmSync(file(dir, 6));
    expect((await checkWalDir(dir)).problems.map((p) => p.file)).toEqual([segmentFileName(0, 7)]);
    await expect(TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal })).rejects.toThrow(WalError);
    await expect(TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal })).rejects.toThrow(/seg-0+7\.wal: starts at seqno 31 \(offset 24\) but the log before it ends at 25: a segment is missing/);
  });

  it('a damaged segment in front of a would-be cover is still Corruption, and nothing is removed', async () => {
    const { dir } = await tenSegments(false);
    crashMidMerge(dir, 2, 8, [2]);
    const bytes = fs.readFileSync(file(dir, 3));
    bytes[bytes.length >> 1]! ^= 0x10;
    fs.writeFileSync(file(dir, 3), bytes);
    const before = segmentIds(dir);
    expect((await checkWalDir(dir)).problems.map((p) => p.file)).toEqual([segmentFileName(0, 3)]);
    await expect(TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal })).rejects.toThrow(WalError);
    expect(segmentIds(dir)).toEqual(before);
  });
});
