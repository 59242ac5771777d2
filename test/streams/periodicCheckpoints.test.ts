import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { startLeader, InProcessTransport, periodicCheckpoints } from '../../streams/index.js';
import { tempDir, until, writeSignals } from '../acceptance/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('periodicCheckpoints', () => {
  it('checkpoints on its interval, only when the database changed since the last one', async () => {
    const db = await TidalDb.open();
    const seqs: number[] = [];
    const sub = periodicCheckpoints(db, 20).subscribe((s) => seqs.push(s));
    await writeSignals(db, 10);
    await sleep(80);
    expect(seqs).toEqual([10]);
    await writeSignals(db, 5, 100, 10);
    await sleep(80);
    expect(seqs).toEqual([10, 15]);
    sub.unsubscribe();
    expect(db.metrics.snapshot().gauges['checkpoints.written']).toBe(2);
    await db.close();
  });

  it('reports a failed checkpoint and tries again on the next tick', async () => {
    const dir = tempDir('ckpt-fail');
    const db = await TidalDb.open({ dir, wal: { sync: 'none' } });
    await writeSignals(db, 3);
    fs.rmSync(dir, { recursive: true, force: true }); // the checkpoint's temp file cannot be created
    const errors: unknown[] = [];
    const sub = periodicCheckpoints(db, 10, { onError: (e) => errors.push(e) }).subscribe();
    await sleep(80);
    sub.unsubscribe();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({ name: 'WalError', code: 'Io' });
    await db.close().catch(() => {}); // its own final checkpoint fails the same way
  });
});

describe('A long-running leader keeps its disk bounded: the WalShipper checkpoints on checkpointIntervalMs and retention runs then', () => {
  it('holds at most maxRetainedBytes of sealed segments with no operator step', async () => {
    const db = await TidalDb.open({ dir: tempDir('autockpt'), wal: { sync: 'none', maxRetainedBytes: 3_000 } });
    const transport = new InProcessTransport();
    const shipping = startLeader({ db, transport, followers: [], shipIntervalMs: 10, checkpointIntervalMs: 30 });
    for (let i = 0; i < 20; i++) {
      await writeSignals(db, 40, 30, i * 40);
      await sleep(12);
    }
    const held = () => db.wal.sealedSegments.reduce((n, s) => n + s.byteLength, 0);
    // Once writes stop, the next checkpoint (within a tick or two) brings it under the cap.
    await until(() => db.wal.sealedSegments.length > 0 && held() <= 3_000, 5_000, 'retention to run');
    expect(db.metrics.snapshot().gauges['checkpoints.written']).toBeGreaterThanOrEqual(2);
    expect(db.lastSeq).toBe(800);
    shipping.stop(); transport.close();
    await db.close();
  });
});
