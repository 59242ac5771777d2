import { map } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { type FollowerFeedback, replicationLag, type ShipEvent } from '../../streams/index.js';
import { lagMs } from '../../streams/lagStep.js';

const shipped = (peer: string, lastSeq: number): ShipEvent => ({ peer, kind: 'segment', segmentId: 1, firstSeq: 1, lastSeq, bytes: 0, atMs: 0 });
const fb = (peer: string, appliedSeq: number, receivedSeq = appliedSeq): FollowerFeedback => ({ peer, kind: 'ack', appliedSeq, receivedSeq, atMs: 0 });

describe('replicationLag', () => {
  it('reports leader lastSeq - applied seqno per follower, and the lag by stage', marbles((m) => {
    let leaderSeq = 10;
    m.cold('----x').subscribe(() => (leaderSeq = 15));
    const shipped$ = m.hot('-s-----', { s: shipped('a', 10) });
    const feedback$ = m.hot('--r-a-b', { r: fb('a', 0, 10), a: fb('a', 10), b: fb('b', 15) });
    const lag = replicationLag({ leaderSeq: () => leaderSeq, feedback$, shipped$ });
    m.expect(lag.pipe(map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([p, l]) => [p, [l.events, l.stages.ship, l.stages.transport, l.stages.apply]]))))))
      .toBeObservable('-st-a-b', {
        s: '{"a":[10,0,10,0]}',
        t: '{"a":[10,0,0,10]}',
        a: '{"a":[5,5,0,0]}',
        b: '{"a":[5,5,0,0],"b":[0,0,0,0]}',
      });
  }));

  it('measures lag in ms as the age of the oldest unapplied event, and 0 once caught up', marbles((m) => {
    let leaderSeq = 0;
    m.cold('w').subscribe(() => (leaderSeq = 5)); // written at 0
    const ticks$ = m.hot('t 99ms t 99ms t');
    const feedback$ = m.hot('a 149ms b', { a: fb('f', 0), b: fb('f', 5) });
    const lag = replicationLag({ leaderSeq: () => leaderSeq, feedback$, shipped$: m.hot('-'), ticks$ });
    m.expect(lag.pipe(map((r) => r['f']?.ms ?? -1))).toBeObservable('(ta) 96ms x 49ms b 49ms b', { t: -1, a: 0, x: 100, b: 0 });
  }));

  it('forgets a follower that left', marbles((m) => {
    const lag = replicationLag({
      leaderSeq: () => 3, feedback$: m.hot('a', { a: fb('gone', 1) }), shipped$: m.hot('-'), forget$: m.hot('-g', { g: 'gone' }),
    });
    m.expect(lag.pipe(map((r) => Object.keys(r).join()))).toBeObservable('ab', { a: 'gone', b: '' });
  }));
});

describe('lagMs', () => {
  it('is now minus the last sample that did not yet hold the next unapplied event', () => {
    const samples = [{ seq: 0, firstMs: 0, atMs: 0 }, { seq: 10, firstMs: 100, atMs: 100 }, { seq: 20, firstMs: 200, atMs: 200 }];
    expect(lagMs(samples, 20, 20, 500)).toBe(0);
    expect(lagMs(samples, 10, 20, 500)).toBe(400); // event 11 appeared after t=100
    expect(lagMs(samples, 5, 20, 500)).toBe(500); // event 6 appeared after t=0
  });

  it('measures from the last moment the leader was seen without the event, not the first', () => {
    const idle = [{ seq: 1, firstMs: 0, atMs: 3_000 }, { seq: 2, firstMs: 3_002, atMs: 3_002 }];
    expect(lagMs(idle, 1, 2, 3_004)).toBe(4); // written after 3000 though the leader sat at 1 since 0
  });
});
