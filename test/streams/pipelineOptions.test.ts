/**
 * Every public entry point refuses bad arguments with a typed error
 * (issue 7): startLeader and startFollower check their options before
 * anything starts, naming the option, instead of failing with a TypeError
 * from inside a pipeline.
 */
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, TidalError } from '../../src/index.js';
import { InProcessTransport, startFollower, startLeader, validateChecksum } from '../../streams/index.js';

function thrown(f: () => unknown): TidalError {
  try {
    f();
  } catch (err) {
    return err as TidalError;
  }
  throw new Error('expected a throw');
}

describe('startLeader and startFollower refuse bad options with InvalidInput naming them', () => {
  it('startLeader', async () => {
    const db = await TidalDb.open();
    const transport = new InProcessTransport();
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /options must be an object/],
      [{}, /db must be a TidalDb/],
      [{ db }, /transport must be a LeaderTransport \(missing send\$, feedback, sendStatus\)/],
      [{ db, transport, followers: 5 }, /followers must be an array/],
      [{ db, transport, followers: ['a', ''] }, /followers must be an array of non-empty peer id strings/],
      [{ db, transport, followers: [], shipIntervalMs: 0 }, /shipIntervalMs must be a positive/],
      [{ db, transport, followers: [], checkpointIntervalMs: -1 }, /checkpointIntervalMs/],
      [{ db, transport, followers: [], shipIntervalMS: 10 }, /unknown option "shipIntervalMS"/],
      [{ db, transport, followers: [], scheduler: {} }, /scheduler/],
    ];
    for (const [options, message] of cases) {
      const err = thrown(() => startLeader(options as never));
      expect(err, String(message)).toBeInstanceOf(TidalError);
      expect(err.code).toBe('InvalidInput');
      expect(err.message).toMatch(message);
    }
    const follower = await FollowerDb.open();
    expect(thrown(() => startLeader({ db: follower, transport, followers: [] })).code).toBe('ReadOnly');
  });

  it('startFollower', async () => {
    const db = await FollowerDb.open();
    const transport = new InProcessTransport();
    const cases: Array<[unknown, RegExp]> = [
      [null, /options must be an object/],
      [{ db, transport }, /peer must be a non-empty string/],
      [{ db, transport: {}, peer: 'f1' }, /transport must be a FollowerTransport \(missing receive\$, status, sendFeedback\)/],
      [{ db, transport, peer: 'f1', feedbackIntervalMs: Number.NaN }, /feedbackIntervalMs/],
      [{ db: await TidalDb.open(), transport, peer: 'f1' }, /needs a follower database/],
    ];
    for (const [options, message] of cases) {
      const err = thrown(() => startFollower(options as never));
      expect(err.code).toBe('InvalidInput');
      expect(err.message).toMatch(message);
    }
  });

  it('FollowerDb.open(null) and validateChecksum(null) are InvalidInput too', async () => {
    await expect(FollowerDb.open(null as never)).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(thrown(() => validateChecksum(null as never)).code).toBe('InvalidInput');
  });
});
