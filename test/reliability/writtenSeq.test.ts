/**
 * `Wal.writtenSeq`: the highest seqno handed to the store without error.
 * After a failed flush it is where the log really ends, which is what the
 * database reports instead of the writes it had queued.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TidalDb, WalError } from '../../src/index.js';
import { WORKLOAD_DB_OPTIONS, writeNext } from '../wal/fixtures/workload.js';
import { FaultPlan, FaultyStore } from './faultyStore.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-writtenseq-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

it('is recovered at open, moves with each appended batch, and stays put when an append fails', async () => {
  const plan = new FaultPlan();
  const db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, store: await FaultyStore.open(path.join(dir, 'a'), plan, 'db') });
  expect(db.wal.writtenSeq).toBe(0);
  await Promise.all([writeNext(db), writeNext(db), writeNext(db)]);
  expect(db.wal.writtenSeq).toBe(3);

  plan.failNext(); // the append of the next batch
  const failing = Promise.allSettled([writeNext(db), writeNext(db)]);
  for (const r of await failing) expect(r.status).toBe('rejected');
  expect(plan.failed).toMatch(/append/);
  expect(db.wal.failed).toBeInstanceOf(WalError);
  expect(db.wal.writtenSeq).toBe(3);
  await db.close();

  const reopened = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'a') });
  expect(reopened.lastSeq).toBe(3);
  expect(reopened.wal.writtenSeq).toBe(3);
  await reopened.close();
});

it('moves on a follower as each shipped segment is stored', async () => {
  const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'leader') });
  const follower = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: path.join(dir, 'follower'), role: 'follower' });
  await Promise.all([writeNext(leader), writeNext(leader)]);
  const payload = (await leader.wal.seal())!;
  await follower.applySegment(payload);
  expect(follower.wal.writtenSeq).toBe(2);
  await Promise.all([leader.close(), follower.close()]);
});
