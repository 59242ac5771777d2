import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../../src/index.js';
import { epochOf, helloFor, helloRefusal, versionRefusal, welcomeRefusal } from '../../../streams/transports/handshake.js';
import {
  deriveAuthKey, followerProof, frameKeys, leaderProof, proofsMatch, transcriptHash, transcriptOf,
} from '../../../streams/transports/handshakeProof.js';

const nonce = (b: number) => new Uint8Array(32).fill(b);
const proof = new Uint8Array(32);

describe('handshake', () => {
  it('reads db.epoch where it exists, else 0; the hello carries a nonce and no secret', async () => {
    const db = await FollowerDb.open();
    const hasEpoch = typeof (db as { epoch?: unknown }).epoch === 'number';
    expect(epochOf(db)).toBe(hasEpoch ? (db as unknown as { epoch: number }).epoch : 0);
    Object.defineProperty(db, 'epoch', { value: 4, configurable: true });
    expect(epochOf(db)).toBe(4);
    expect(helloFor(db, 'f1', nonce(7))).toEqual({ t: 'hello', v: 2, peer: 'f1', shardId: 0, epoch: 4, appliedSeq: 0, nonce: nonce(7) });
    await db.close();
  });

  it('after the proof, the leader checks the shard, then the follower set', async () => {
    const leader = await TidalDb.open({ shardId: 2 });
    const follower = await FollowerDb.open({ shardId: 2 });
    const hello = helloFor(follower, 'f1', nonce(1));
    expect(helloRefusal({ ...hello, shardId: 7 }, { shardId: leader.shardId })?.message).toMatch(/holds shard 7, this leader shard 2/);
    expect(helloRefusal(hello, { shardId: 2 })).toBeNull();
    expect(helloRefusal(hello, { shardId: 2, followers: new Set(['f1']) })).toBeNull();
    expect(helloRefusal(hello, { shardId: 2, followers: new Set(['f2', 'f3']) })).toMatchObject({
      code: 'UnknownPeer', message: 'peer id "f1" is not in this leader\'s follower set (it ships to "f2", "f3")',
    });
    expect(helloRefusal(hello, { shardId: 2, followers: new Set() })?.message).toMatch(/its follower set is empty/);
    await leader.close();
    await follower.close();
  });

  it('a peer of another protocol version is refused with ConfigMismatch naming both versions', () => {
    expect(versionRefusal({ t: 'otherVersion', of: 'hello', v: 1 })).toMatchObject({
      code: 'ConfigMismatch', message: 'a follower speaks protocol v1, this leader v2: run the same tidaldb version on both',
    });
    expect(versionRefusal({ t: 'otherVersion', of: 'welcome', v: 3 }).message).toBe('the leader speaks protocol v3, this follower v2: run the same tidaldb version on both');
  });

  it('a follower refuses a leader in an older epoch', () => {
    expect(welcomeRefusal({ t: 'welcome', v: 2, epoch: 2, proof }, 3)).toMatchObject({ code: 'Fenced' });
    expect(welcomeRefusal({ t: 'welcome', v: 2, epoch: 3, proof }, 3)).toBeNull();
    expect(welcomeRefusal({ t: 'welcome', v: 2, epoch: 4, proof }, 3)).toBeNull();
  });
});

describe('handshakeProof: proofs bind the token, both nonces and every transcript field', () => {
  const base = { peer: 'f1', shardId: 0, epoch: 1, appliedSeq: 99, followerNonce: nonce(1), leaderNonce: nonce(2), channelBinding: new Uint8Array(0) };
  const key = deriveAuthKey('the-cluster-secret-0123');

  it('the same transcript and token give the same proofs; the follower\'s and the leader\'s differ', () => {
    const th = transcriptHash(transcriptOf(base));
    expect(proofsMatch(followerProof(key, th), followerProof(deriveAuthKey('the-cluster-secret-0123'), transcriptHash(transcriptOf({ ...base }))))).toBe(true);
    expect(proofsMatch(followerProof(key, th), leaderProof(key, th, 1))).toBe(false);
    expect(proofsMatch(leaderProof(key, th, 1), leaderProof(key, th, 2))).toBe(false); // the welcome's epoch is covered
  });

  it('any change to a field, a nonce, the channel binding or the token changes the proof (a replay fails)', () => {
    const th = transcriptHash(transcriptOf(base));
    const variants = [
      { ...base, peer: 'f2' }, { ...base, shardId: 1 }, { ...base, epoch: 2 }, { ...base, appliedSeq: 100 },
      { ...base, followerNonce: nonce(3) }, { ...base, leaderNonce: nonce(3) }, { ...base, channelBinding: new Uint8Array(32) },
    ];
    for (const v of variants) expect(proofsMatch(followerProof(key, transcriptHash(transcriptOf(v))), followerProof(key, th)), JSON.stringify(v)).toBe(false);
    expect(proofsMatch(followerProof(deriveAuthKey('another-secret-0123456'), th), followerProof(key, th))).toBe(false);
    expect(proofsMatch(new Uint8Array(31), new Uint8Array(32))).toBe(false);
  });

  it('per-connection frame keys: one per direction, new with every transcript, none equal to the auth key', () => {
    const k1 = frameKeys(key, transcriptHash(transcriptOf(base)));
    const k2 = frameKeys(key, transcriptHash(transcriptOf({ ...base, leaderNonce: nonce(9) })));
    expect(k1.leaderToFollower.equals(k1.followerToLeader)).toBe(false);
    expect(k1.leaderToFollower.equals(k2.leaderToFollower)).toBe(false);
    expect(k1.leaderToFollower.equals(key)).toBe(false);
  });

  it('pins the derivations (golden: a change here is a protocol change)', () => {
    expect(deriveAuthKey('the-cluster-secret-0123').toString('hex')).toBe('bc0c887b1e33be40cdfd12f03823d0d865e5b72a1eb23801f87178e528f7fc5c');
    expect(transcriptHash(transcriptOf(base)).toString('hex')).toBe('783336dce946aa2530c0a4945b87771357d8496dfc29cc3be86b53106d2fab59');
  });
});
