import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { followerCanTakeSegment, gateSeals, sealGateStep } from '../../streams/gateSeals.js';

describe('sealGateStep (the gate as a pure reducer)', () => {
  it('a wake while ready seals', () => {
    expect(sealGateStep({ owed: false, seal: false }, { kind: 'wake', ready: true })).toEqual({ owed: false, seal: true });
  });
  it('a wake while no follower can take a segment is owed, not dropped', () => {
    expect(sealGateStep({ owed: false, seal: false }, { kind: 'wake', ready: false })).toEqual({ owed: true, seal: false });
  });
  it('an owed seal happens at the first recheck that finds a follower ready', () => {
    expect(sealGateStep({ owed: true, seal: false }, { kind: 'recheck', ready: false })).toEqual({ owed: true, seal: false });
    expect(sealGateStep({ owed: true, seal: false }, { kind: 'recheck', ready: true })).toEqual({ owed: false, seal: true });
  });
  it('a recheck with nothing owed seals nothing', () => {
    expect(sealGateStep({ owed: false, seal: false }, { kind: 'recheck', ready: true })).toEqual({ owed: false, seal: false });
  });
});

describe('followerCanTakeSegment (when a seal would be shipped at once)', () => {
  const now = 10_000;
  const pace = { sealedThroughSeq: 50, nowMs: now, lastSealAtMs: now - 100, stalledAfterMs: 25 };
  it('with no follower in the set, every wake seals (nobody to overload)', () => {
    expect(followerCanTakeSegment([], pace)).toBe(true);
  });
  it('a follower that acked everything sealed can take the next segment', () => {
    expect(followerCanTakeSegment([{ ackedSeq: 50, progressAtMs: now - 10 }], pace)).toBe(true);
  });
  it('a follower with sealed segments unacked, its ack moving, is busy', () => {
    expect(followerCanTakeSegment([{ ackedSeq: 40, progressAtMs: now - 10 }], pace)).toBe(false);
  });
  it('one follower ready is enough', () => {
    expect(followerCanTakeSegment([{ ackedSeq: 40, progressAtMs: now }, { ackedSeq: 50, progressAtMs: now }], pace)).toBe(true);
  });
  it('a follower never heard from, or with no ack forward and no seal for stalledAfterMs, does not hold sealing back', () => {
    expect(followerCanTakeSegment([{ ackedSeq: 0, progressAtMs: null }], pace)).toBe(true);
    expect(followerCanTakeSegment([{ ackedSeq: 10, progressAtMs: now - 26 }], pace)).toBe(true);
  });
  it('a stalled follower gets one seal per stall period, not one per wake (no flood of a slow follower)', () => {
    expect(followerCanTakeSegment([{ ackedSeq: 10, progressAtMs: now - 1000 }], { ...pace, lastSealAtMs: now - 5 })).toBe(false);
    expect(followerCanTakeSegment([{ ackedSeq: 10, progressAtMs: now - 1000 }], { ...pace, lastSealAtMs: null })).toBe(true);
  });
});

describe('gateSeals', () => {
  it('passes wakes while ready, owes one while busy and pays it at the next ready recheck', marbles((m) => {
    const readiness = [true, false, false, true];
    let i = 0;
    const wake = m.hot('    --w---w--w------');
    const recheck = m.hot(' ------------r---');
    const expected = '     --s---------s---';
    m.expect(wake.pipe(gateSeals(recheck, () => readiness[i++] ?? true))).toBeObservable(expected, { s: undefined });
    m.expect(wake).toHaveSubscriptions('^---------------');
  }));

  it('owes one seal however many wakes came while busy', marbles((m) => {
    let ready = false;
    const wake = m.hot('    -www------');
    const recheck = m.hot(' -----r-r--');
    const expected = '     -----s----';
    m.expect(wake.pipe(gateSeals(recheck.pipe(), () => {
      const r = ready;
      return r;
    }))).toBeObservable(expected, { s: undefined });
    m.scheduler.schedule(() => (ready = true), 4);
  }));
});
