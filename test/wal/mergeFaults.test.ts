/**
 * I/O errors during merges (test/reliability/faultyStore.ts fails the k-th
 * store operation with EIO, before it takes effect, after, or half-done):
 * for every operation a merge makes (reading an input back, writing the
 * merged segment, removing an input) in every mode that applies,
 *   - nothing acknowledged is lost: a reopen finds every acked seqno and the
 *     workload's exact state, and the directory ends tidy;
 *   - a merge that failed before its rename is only abandoned (the log goes
 *     on, `wal.merges.failures` counts it, the next seal tries again);
 *   - one that failed at or after its rename stops the log (writes reject
 *     with `Failed`), since which file is durable is unknown;
 *   - an input that could not be removed is retried by a later pass;
 *   - shipping still reads every sealed segment back from disk, verified
 *     against the checksum the index holds (the index matches the files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb, TidalError } from '../../src/index.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { FaultPlan, type FaultMode, FaultyStore } from '../reliability/faultyStore.js';
import { tempDir } from '../db/tempDirs.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from './fixtures/workload.js';
import { WorkloadReference } from './fixtures/workloadReference.js';

/** Ship ticks in the workload: 32 past the newest 32, for merges of two levels (about 110 cases). */
const TICKS = 64;
/** No ship cache: merges read their inputs back from disk, and so does shipping (each read verified). */
const wal = { maxSegmentBytes: 8 * 1024, retainSegments: 1_000, shipCacheBytes: 0, packSegments: false } as const;

interface Outcome {
  readonly ackedSeq: number;
  /** The first write refused after the fault, if any. */
  readonly refused: unknown;
  /** The log's failure at the end, if it stopped. */
  readonly walFailed: unknown;
  readonly mergeFailures: number;
  /** Seqnos read back through nextSegment$ (as shipping reads them) before closing, and the last sealed one. */
  readonly shippable: number;
  readonly lastSealedSeq: number;
  /** Operations counted before that read-back. */
  readonly opsBeforeShipping: number;
}

/** TICKS ticks of 3 writes and a seal, each followed by the merges it queues; stops at the first refused write. */
async function workload(dir: string, plan: FaultPlan): Promise<Outcome> {
  const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, store: await FaultyStore.open(dir, plan, 'leader', { realFsync: false, packSegments: false }), wal });
  let ackedSeq = 0;
  let refused: unknown = null;
  try {
    for (let t = 0; t < TICKS && refused === null; t++) {
      for (let i = 0; i < 3; i++) {
        try {
          ackedSeq = Math.max(ackedSeq, await writeNext(db));
        } catch (err) {
          refused = err;
          break;
        }
      }
      await db.wal.seal().catch(() => {});
      await db.wal.mergesSettled();
    }
    const opsBeforeShipping = plan.log.length;
    let shippable = 0;
    for (const p of await collect(db.wal.sealedSegmentsSince(0))) shippable = p.firstSeq <= shippable + 1 ? p.lastSeq : shippable;
    return {
      ackedSeq, refused, walFailed: db.wal.failed, mergeFailures: db.wal.merges.failures,
      shippable, lastSealedSeq: db.wal.sealedSegments.at(-1)?.lastSeq ?? 0, opsBeforeShipping,
    };
  } finally {
    await db.close().catch(() => {});
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The operations (1-based, in plan.log) a fault-free run makes for merges: reading inputs, writing merged segments, removing inputs. */
async function mergeOperations(): Promise<Array<{ at: number; op: string }>> {
  const plan = new FaultPlan();
  const { opsBeforeShipping } = await workload(tempDir('merge-faults-dry'), plan);
  return plan.log.slice(0, opsBeforeShipping).map((op, i) => ({ at: i + 1, op })).filter(({ op }) => /readSegment|writeSegment|removeSegment/.test(op));
}

function expectTidy(dir: string, lastSeq: number): void {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
  let next = 1;
  for (const [i, name] of names.entries()) {
    const d = decodeSegment(fs.readFileSync(path.join(dir, name)), name, i === names.length - 1 ? 'active' : 'sealed');
    expect(d.header.firstSeq, name).toBe(next);
    next = d.lastSeq + 1;
  }
  expect(next - 1).toBe(lastSeq);
}

describe('an I/O error at any step of a merge loses nothing acknowledged', () => {
  it('every merge operation, failed before, after and half-done: acked seqnos survive a reopen, and the log stops only past the rename', async () => {
    const ops = await mergeOperations();
    expect(ops.filter((o) => o.op.includes('writeSegment')).length).toBeGreaterThanOrEqual(3);
    expect(ops.filter((o) => o.op.includes('removeSegment')).length).toBeGreaterThanOrEqual(3);
    expect(ops.filter((o) => o.op.includes('readSegment')).length).toBeGreaterThanOrEqual(3);
    const reference = await WorkloadReference.open();
    const modes: FaultMode[] = ['before', 'after', 'torn'];
    let cases = 0;
    try {
      for (const { at, op } of ops) {
        for (const mode of modes) {
          if (op.includes('removeSegment') && mode === 'torn') continue; // an unlink has nothing to tear
          if (op.includes('readSegment') && mode !== 'before') continue; // a read has no effect to tear
          const dir = tempDir('merge-faults');
          const plan = new FaultPlan(at, mode);
          const outcome = await workload(dir, plan);
          const label = `op #${at} ${op}, ${mode}`;
          expect(plan.failed, label).toBe(`#${at} ${op}`);
          const stopsTheLog = op.includes('writeSegment') && mode === 'after';
          if (stopsTheLog) {
            expect(outcome.walFailed, label).not.toBeNull();
            if (outcome.refused !== null) expect((outcome.refused as TidalError).code, label).toBe('Failed');
          } else {
            expect(outcome.walFailed, label).toBeNull();
            expect(outcome.refused, label).toBeNull();
            expect(outcome.mergeFailures, label).toBeGreaterThanOrEqual(1);
          }
          // Shipping still reads every sealed segment back from disk, in order, verified: the index matches the files.
          expect(outcome.shippable, label).toBe(outcome.lastSealedSeq);
          const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
          expect(db.lastSeq, label).toBeGreaterThanOrEqual(outcome.ackedSeq);
          expect(snapshotOf(db), label).toEqual(await reference.snapshotAt(db.lastSeq));
          await db.wal.mergesSettled();
          const lastSeq = db.lastSeq;
          await db.close();
          expectTidy(dir, lastSeq);
          cases++;
        }
      }
    } finally {
      await reference.close();
    }
    expect(cases).toBeGreaterThanOrEqual(60);
  }, 120_000);
});
