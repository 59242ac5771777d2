import { map } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { sealedSegments } from '../../streams/index.js';
import { memoryLeader, virtualClock } from './fixtures.js';

describe('sealedSegments', () => {
  it('seals the active segment on each tick when it holds events, and not when empty', async () => {
    const vc = virtualClock();
    const db = await memoryLeader(vc.clock);
    marbles((m) => {
      vc.use(m.scheduler);
      const ticks = m.hot('   -----t-----t-----t-----|');
      const writes = m.cold(' -w-w-----------w-------|');
      const subs = '          ^----------------------!';
      const expected = '      -----a-----------b------';
      writes.subscribe(() => void db.signal({ itemId: 'x', type: 'view' }));
      m.expect(sealedSegments(db, ticks).pipe(map((s) => `${s.firstSeq}..${s.lastSeq}`))).toBeObservable(expected, { a: '1..2', b: '3..3' });
      m.expect(ticks).toHaveSubscriptions(subs);
    })();
  });

  it('emits size-triggered seals as they happen, between ticks', async () => {
    const vc = virtualClock();
    const db = await memoryLeader(vc.clock, { wal: { maxSegmentBytes: 1024 } });
    const seals: Array<[number, number]> = [];
    marbles((m) => {
      vc.use(m.scheduler);
      const ticks = m.hot('   ----------t---');
      const writes = m.cold(' --b--------');
      writes.subscribe(() => {
        for (let i = 0; i < 400; i++) void db.signal({ itemId: `item-${i}`, type: 'view', at: 0 });
        db.wal.flushPending(); // what the writer's next flush does; 400 signals pass 1 KiB several times
      });
      sealedSegments(db, ticks).subscribe((s) => seals.push([m.scheduler.now(), s.lastSeq]));
    })();
    // The full segments seal at once, between ticks (how many depends on the byte format); the rest at the tick.
    expect(seals.length).toBeGreaterThanOrEqual(2);
    expect(seals.slice(0, -1).every(([at]) => at === 2)).toBe(true);
    expect(seals.at(-1)).toEqual([10, 400]);
    expect(db.wal.sealedSegments).toHaveLength(seals.length);
  });

  it('keeps segments in seqno order across ticks', async () => {
    const vc = virtualClock();
    const db = await memoryLeader(vc.clock);
    marbles((m) => {
      vc.use(m.scheduler);
      const ticks = m.hot('-t-t-t');
      m.cold('w-w-w').subscribe(() => void db.signal({ itemId: 'x', type: 'view' }));
      m.expect(sealedSegments(db, ticks).pipe(map((s) => s.segmentId))).toBeObservable('-a-b-c', { a: 1, b: 2, c: 3 });
    })();
  });
});
