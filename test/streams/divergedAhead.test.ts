/**
 * A follower that followed a deposed leader past the new leader's log is
 * told so: the new leader, seeing an ack past its own lastSeq, ships it the
 * first segment of its epoch once, which the follower refuses as Diverged
 * (the operator then rebuilds it). Before, nothing was ever shipped to such
 * a follower (its cursor was past the leader's end) and it never learned:
 * sim seeds 2586 and 3409.
 */
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { memoryFollower, memoryLeader, sealedSegment, virtualClock } from './fixtures.js';

describe('a follower ahead of a new leader in an older epoch', () => {
  it('is shipped the first segment of the leader\'s epoch once, and refuses it as Diverged', async () => {
    const vc = virtualClock();
    const old = await memoryLeader(vc.clock);
    const first = await sealedSegment(old, 10);
    const second = await sealedSegment(old, 10);
    const promoted = await memoryFollower(vc.clock);
    const ahead = await memoryFollower(vc.clock);
    await promoted.applySegment(first);
    await ahead.applySegment(first);
    await ahead.applySegment(second);
    expect(await promoted.promote()).toBe(1);
    for (let i = 0; i < 3; i++) await promoted.signal({ itemId: 'x', type: 'view', at: 0 });
    expect([promoted.lastSeq, ahead.lastSeq]).toEqual([13, 20]);
    const codes: string[] = [];
    let shipped = 0;
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport();
      const l = startLeader({ db: promoted, transport, followers: ['ahead'], scheduler: m.scheduler, shipIntervalMs: 100 });
      const f = startFollower({ db: ahead, transport, peer: 'ahead', scheduler: m.scheduler, feedbackIntervalMs: 100 });
      l.shipped$.subscribe(() => shipped++);
      f.rejected$.subscribe((r) => codes.push((r.error as { code?: string }).code ?? '?'));
      m.scheduler.schedule(() => {
        void l.stop();
        void f.stop();
      }, 2_000);
    })();
    expect(codes[0]).toBe('Diverged');
    // Once per leader seal and follower mark, not once per pass: no flood while it stays diverged.
    expect(shipped).toBeLessThanOrEqual(3);
    expect(ahead.lastSeq).toBe(20); // refused: nothing of the new epoch was applied over the old one
  });
});
