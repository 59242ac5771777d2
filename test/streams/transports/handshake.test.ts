import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../../src/index.js';
import { epochOf, helloFor, helloRefusal, tokensMatch, welcomeRefusal } from '../../../streams/transports/handshake.js';

describe('handshake', () => {
  it('compares tokens of any lengths in constant shape', () => {
    expect(tokensMatch('s3cret', 's3cret')).toBe(true);
    expect(tokensMatch('s3cret', 's3creT')).toBe(false);
    expect(tokensMatch('s', 'a much longer token than the other one')).toBe(false);
  });

  it('reads db.epoch where it exists, else 0', async () => {
    const db = await FollowerDb.open();
    const hasEpoch = typeof (db as { epoch?: unknown }).epoch === 'number';
    expect(epochOf(db)).toBe(hasEpoch ? (db as unknown as { epoch: number }).epoch : 0);
    Object.defineProperty(db, 'epoch', { value: 4, configurable: true });
    expect(epochOf(db)).toBe(4);
    expect(helloFor(db, 'f1', 'tok')).toEqual({ t: 'hello', v: 1, peer: 'f1', token: 'tok', shardId: 0, epoch: 4, appliedSeq: 0 });
    await db.close();
  });

  it('the leader checks the token first, then the protocol version, then the shard', async () => {
    const leader = await TidalDb.open({ shardId: 2 });
    const follower = await FollowerDb.open({ shardId: 2 });
    const hello = { ...helloFor(follower, 'f1', 'good'), v: 9 };
    const expected = { token: 'good', shardId: leader.shardId };
    expect(helloRefusal({ ...hello, token: 'bad', shardId: 7 }, expected)?.message).toMatch(/bad token/);
    expect(helloRefusal(hello, expected)).toMatchObject({ code: 'ConfigMismatch', message: expect.stringMatching(/protocol v9/) });
    expect(helloRefusal({ ...hello, v: 1, shardId: 7 }, expected)?.message).toMatch(/holds shard 7, this leader shard 2/);
    expect(helloRefusal({ ...hello, v: 1 }, expected)).toBeNull();
    await leader.close();
    await follower.close();
  });

  it('a follower refuses a leader in an older epoch', () => {
    expect(welcomeRefusal({ t: 'welcome', v: 1, epoch: 2 }, 3)).toMatchObject({ code: 'Fenced' });
    expect(welcomeRefusal({ t: 'welcome', v: 1, epoch: 3 }, 3)).toBeNull();
    expect(welcomeRefusal({ t: 'welcome', v: 1, epoch: 4 }, 3)).toBeNull();
  });
});
