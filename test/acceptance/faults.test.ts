/**
 * Nothing is lost or double counted, whatever the transport does: a seeded
 * random schedule of drops, duplicates, reorders and bit flips (fast-check
 * generates it and shrinks any failure to a minimal schedule), run through
 * the whole pipeline in virtual time.
 */
import fc from 'fast-check';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { type Fault, FaultInjectingTransport, InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { HALF_LIVES, snapshotOf } from './harness.js';

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Fault>('pass') },
  { weight: 1, arbitrary: fc.constant<Fault>('drop') },
  { weight: 1, arbitrary: fc.constant<Fault>('duplicate') },
  { weight: 1, arbitrary: fc.constant<Fault>('reorder') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 << 20 }).map((bit): Fault => ({ corruptAt: bit })) },
);

const scenarioArb = fc.record({
  faults: fc.array(faultArb, { minLength: 1, maxLength: 60 }),
  /** ms between writes, one per entry */
  gaps: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 5, maxLength: 120 }),
  capacity: fc.integer({ min: 1, max: 4 }),
});

describe('Nothing is lost or double counted, whatever the transport does: duplicate, reorder, drop, corrupt', () => {
  it('leader and follower state are identical at the end of any seeded fault schedule', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ faults, gaps, capacity }) => {
        let now = () => 0;
        const clock = () => now();
        const leader = await TidalDb.open({ clock, halfLifeMs: HALF_LIVES, wal: { maxSegmentBytes: 1024 } });
        const follower = await FollowerDb.open({ clock });
        const transport = new FaultInjectingTransport(new InProcessTransport({ capacity }), {
          plan: ({ sent }) => faults[sent] ?? 'pass', // the network heals once the schedule runs out
        });
        marbles((m) => {
          now = () => m.scheduler.now();
          const l = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 100, retransmitAfterMs: 1_000, scheduler: m.scheduler });
          const f = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 250, scheduler: m.scheduler });
          let at = 0;
          gaps.forEach((gap, i) => {
            at += gap;
            m.scheduler.schedule(() => {
              void leader.signal({ itemId: `item-${(i * 31) % 17}`, type: i % 4 === 0 ? 'like' : 'view', weight: 1 + (i % 3), at: m.scheduler.now() });
              if (i % 9 === 0) void leader.writeItem({ id: `item-${i % 17}`, text: `tidal item ${i}` });
            }, at);
          });
          m.scheduler.schedule(() => { l.stop(); f.stop(); }, at + 30_000);
        })();
        expect(follower.lastSeq).toBe(leader.lastSeq);
        expect(snapshotOf(follower, 60_000)).toEqual(snapshotOf(leader, 60_000));
        await leader.close();
        await follower.close();
      }),
      { seed: 20261125, numRuns: 40 },
    );
  }, 60_000);
});
