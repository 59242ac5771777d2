import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { snapshotOf, tempDir, writeSignals } from '../acceptance/harness.js';

async function leaderWithSegments(opts: { maxRetainedBytes?: number; retainSegments?: number }, segments = 8) {
  const db = await TidalDb.open({ dir: tempDir('retention'), wal: { sync: 'none', ...opts } });
  for (let i = 0; i < segments; i++) {
    await writeSignals(db, 50, 40, i * 50);
    await db.wal.seal();
  }
  return db;
}

describe('Retention keeps sealed segments some follower still needs, up to maxRetainedBytes', () => {
  it('keeps every segment a follower still needs while under the cap', async () => {
    const db = await leaderWithSegments({ retainSegments: 0 });
    db.retainFrom(0); // a follower has applied nothing yet
    await db.checkpoint();
    expect(db.wal.sealedSegments).toHaveLength(8);
    db.retainFrom(200); // it acked 200: segments up to 200 are no longer needed
    await db.checkpoint();
    expect(db.wal.sealedSegments[0]!.lastSeq).toBeGreaterThan(200);
    await db.close();
  });

  it('drops needed segments past the cap, oldest first, so a dead follower cannot fill the disk', async () => {
    const db = await leaderWithSegments({ maxRetainedBytes: 3_000 });
    db.retainFrom(0);
    const before = db.wal.sealedSegments.reduce((n, s) => n + s.byteLength, 0);
    expect(before).toBeGreaterThan(3_000);
    await db.checkpoint();
    const after = db.wal.sealedSegments.reduce((n, s) => n + s.byteLength, 0);
    expect(after).toBeLessThanOrEqual(3_000);
    expect(db.wal.sealedSegments.length).toBeGreaterThan(0);
    await db.close();
  });

  it('never drops a segment no checkpoint covers', async () => {
    const db = await leaderWithSegments({ maxRetainedBytes: 0 });
    await db.checkpoint();
    await writeSignals(db, 50, 40, 400);
    await db.wal.seal(); // after the checkpoint
    const last = db.wal.sealedSegments[db.wal.sealedSegments.length - 1]!;
    expect(last.lastSeq).toBe(db.lastSeq);
    await db.close();
  });
});

describe('A follower too far behind what is retained is bootstrapped from the latest checkpoint', () => {
  it('installs the checkpoint, then the segments after it, and equals the leader (and survives a restart)', async () => {
    const leader = await leaderWithSegments({ maxRetainedBytes: 2_000 });
    await leader.checkpoint();
    expect(leader.wal.sealedSegments[0]!.firstSeq).toBeGreaterThan(1); // the start of the log is gone
    await writeSignals(leader, 30, 40, 400);
    await leader.wal.seal();
    const dir = tempDir('bootstrap');
    const follower = await FollowerDb.open({ dir });
    const checkpoint = (await leader.latestCheckpoint())!;
    expect(await follower.installCheckpoint(checkpoint.bytes)).toBe(true);
    expect(follower.lastSeq).toBe(checkpoint.seq);
    expect(await follower.installCheckpoint(checkpoint.bytes)).toBe(false); // not ahead any more
    for await (const s of leader.wal.sealedSegmentsSince(follower.lastSeq)) await follower.applySegment(s);
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader));
    await follower.close();
    const reopened = await FollowerDb.open({ dir });
    expect(snapshotOf(reopened)).toEqual(snapshotOf(leader));
    await reopened.close();
    await leader.close();
  });

  it('refuses a corrupt checkpoint with Corruption and changes nothing', async () => {
    const leader = await leaderWithSegments({});
    await leader.checkpoint();
    const bytes = Uint8Array.from((await leader.latestCheckpoint())!.bytes);
    bytes[bytes.length - 3]! ^= 0x10;
    const follower = await FollowerDb.open();
    await expect(follower.installCheckpoint(bytes)).rejects.toMatchObject({ code: 'Corruption' });
    expect(follower.lastSeq).toBe(0);
    await leader.close();
  });
});
