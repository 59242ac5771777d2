/**
 * Issue 8, "Also fix": applySegment$ set `state.epoch` before the segment
 * was durably stored. A store that failed then left the node in an epoch
 * it holds no segment of, persisted nowhere: it refused its own leader's
 * next segment as `Fenced` until a restart forgot the epoch again. The rule:
 * a follower's epoch moves only once a segment of the new epoch is stored.
 */
import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { FaultPlan, FaultyStore } from '../reliability/faultyStore.js';
import { WORKLOAD_DB_OPTIONS, writeNext } from '../wal/fixtures/workload.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-epoch-stored-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function writeMany(db: TidalDb, n: number, variant = 0): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => writeNext(db, variant)));
}

describe('a follower\'s epoch moves only once a segment of the new epoch is durably stored', () => {
  it('a newer epoch\'s segment whose store fails leaves the epoch as it was: the old leader\'s next segment still applies', async () => {
    const leader = await TidalDb.open(WORKLOAD_DB_OPTIONS);
    await writeMany(leader, 4);
    const first = (await leader.wal.seal())!;
    // Another follower of the same leader, promoted at seqno 4: its first segment starts epoch 1 at seqno 5.
    const promoted = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, role: 'follower' });
    await promoted.applySegment(first);
    expect(await promoted.promote()).toBe(1);
    await writeMany(promoted, 3, 1);
    const newEpoch = (await promoted.wal.seal())!;
    // The old leader goes on in epoch 0 from seqno 5 (this follower never heard of the promotion).
    await writeMany(leader, 4);
    const second = (await leader.wal.seal())!;

    const plan = new FaultPlan();
    const follower = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, role: 'follower', store: await FaultyStore.open(path.join(dir, 'follower'), plan, 'follower') });
    await follower.applySegment(first);
    plan.failNext(); // the store of the epoch-1 segment is refused before anything reaches the disk
    await expect(follower.applySegment(newEpoch)).rejects.toMatchObject({ name: 'WalError', code: 'Io' });
    expect(follower.lastSeq).toBe(4);
    expect(follower.epoch, 'epoch after a store that failed').toBe(0);

    // Nothing of epoch 1 is held, so the leader it follows is not fenced off.
    await expect(follower.applySegment(second)).resolves.toBeDefined();
    expect(follower.lastSeq).toBe(8);
    expect(follower.epoch).toBe(0);
    await Promise.all([follower.close(), promoted.close(), leader.close()]);
  });
});
