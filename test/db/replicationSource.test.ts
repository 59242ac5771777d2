/**
 * db.replication: the seam tidaldb/streams replicates through, its waits as
 * cold Observables (nothing runs before a subscribe).
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';

describe('db.replication', () => {
  it('leader side: seal$ is cold, seals once subscribed and emits the segment sealed$ carries; nextSegment$ reads it back', async () => {
    const db = await TidalDb.open();
    const source = db.replication;
    expect(db.replication).toBe(source);
    for (let i = 0; i < 3; i++) await db.signal({ itemId: `i${i}`, type: 'view' });
    expect(source.lastSeq).toBe(3);
    expect(source.sealedThroughSeq).toBe(0);
    const sealedAlong: number[] = [];
    source.sealed$.subscribe((s) => sealedAlong.push(s.lastSeq));
    const seal$ = source.seal$();
    expect(source.sealedSegmentCount).toBe(0); // not subscribed: nothing sealed
    const sealed = await firstValueFrom(seal$);
    expect(sealed?.lastSeq).toBe(3);
    expect(sealedAlong).toEqual([3]);
    expect(source.sealedThroughSeq).toBe(3);
    expect(source.sealedSegmentCount).toBe(1);
    expect(await firstValueFrom(source.seal$())).toBeNull(); // nothing left to seal
    expect((await lastValueFrom(source.nextSegment$(0).pipe(toArray()))).map((s) => s.lastSeq)).toEqual([3]);
    expect(await lastValueFrom(source.nextSegment$(3).pipe(toArray()))).toEqual([]);
    await db.close();
  });

  it('checkpoints: latestCheckpoint$ is null before the first checkpoint$, then its seqno and bytes; a follower installs them', async () => {
    const db = await TidalDb.open({ halfLifeMs: { view: 60_000 } });
    await db.signal({ itemId: 'a', type: 'view' });
    expect(await firstValueFrom(db.replication.latestCheckpoint$())).toBeNull();
    expect(await firstValueFrom(db.replication.checkpoint$())).toBe(1);
    const stored = await firstValueFrom(db.replication.latestCheckpoint$());
    expect(stored?.seq).toBe(1);
    const replica = await FollowerDb.open();
    expect(await firstValueFrom(replica.replication.installCheckpoint$(stored!.bytes))).toBe(true);
    expect(await firstValueFrom(replica.replication.installCheckpoint$(stored!.bytes))).toBe(false); // already there
    expect(replica.replication.lastSeq).toBe(1);
    await Promise.all([db.close(), replica.close()]);
  });

  it('retainFrom passes the replication slot to the database, which checks it', async () => {
    const db = await TidalDb.open();
    expect(() => db.replication.retainFrom(-1)).toThrowError(/retainFrom: seq must be a seqno >= 0/);
    db.replication.retainFrom(Infinity);
    await db.close();
  });
});
