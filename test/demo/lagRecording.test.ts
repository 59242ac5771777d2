import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FollowerLag } from '../../src/index.js';
import { stageTotal } from '../../streams/demo/lagPlotSample.js';
import {
  ageAfter, emptyLagRecording, followerLagPoint, type LagRecording, type LagRecordingInput, lagRecordingStep, MAX_LAG_PLOT_SAMPLES, type SeqMark,
} from '../../streams/demo/lagRecording.js';

function lag(appliedSeq: number, receivedSeq: number, shippedSeq: number, leaderSeq: number): FollowerLag {
  return {
    state: 'streaming', events: Math.max(0, leaderSeq - appliedSeq), ms: 0, shippedSeq, receivedSeq, appliedSeq,
    stages: { ship: 0, transport: 0, apply: 0 },
  };
}

/** The leader at 0 from 0 ms to 100 ms, at 10 until 150 ms, at 20 until 300 ms. */
const marks: SeqMark[] = [{ seq: 0, firstMs: 0, lastMs: 100 }, { seq: 10, firstMs: 101, lastMs: 150 }, { seq: 20, firstMs: 151, lastMs: 300 }];

describe('ageAfter: the age of the oldest event after a seqno, from when the leader was last seen without it', () => {
  it('is now minus the last time the leader was seen at that seqno or below', () => {
    expect(ageAfter(marks, 10, 20, 400)).toBe(250); // seqno 11 came after 150 ms
    expect(ageAfter(marks, 5, 20, 400)).toBe(300); // seqno 6 came after 100 ms (the leader went 0 → 10 at once)
    expect(ageAfter(marks, 0, 20, 400)).toBe(300);
  });

  it('is 0 when the leader holds nothing after it, and with no marks', () => {
    expect(ageAfter(marks, 20, 20, 400)).toBe(0);
    expect(ageAfter(marks, 25, 20, 400)).toBe(0);
    expect(ageAfter([], 0, 20, 400)).toBe(0);
  });

  it('before the first mark, counts from the first mark (a lower bound: it was already there)', () => {
    expect(ageAfter(marks.slice(1), 5, 20, 400)).toBe(400 - 101);
  });
});

describe('followerLagPoint: one follower\'s lag split by stage', () => {
  it('events: leader → shipped, shipped → received, received → applied; ms: the ages at those seqnos, as a stack', () => {
    const p = followerLagPoint(lag(0, 10, 20, 20), marks, 20, 400);
    expect(p.events).toEqual({ ship: 0, transport: 10, apply: 10 });
    expect(p.ms).toEqual({ ship: 0, transport: 250, apply: 50 });
    expect(stageTotal(p.ms)).toBe(ageAfter(marks, 0, 20, 400));
  });

  it('clamps marks out of order into a chain, so the stages still add up', () => {
    const p = followerLagPoint(lag(10, 30, 5, 20), marks, 20, 400); // received past shipped and past the leader
    expect(p.events).toEqual({ ship: 0, transport: 0, apply: 10 });
    expect(followerLagPoint(lag(25, 25, 25, 20), marks, 20, 400)).toEqual({ events: { ship: 0, transport: 0, apply: 0 }, ms: { ship: 0, transport: 0, apply: 0 } });
  });

  it('property: every stage is >= 0, events add up to leader - applied, ms to the age of the oldest unapplied event', () => {
    const seq = fc.integer({ min: 0, max: 40 });
    fc.assert(fc.property(seq, seq, seq, seq, fc.integer({ min: 300, max: 10_000 }), (applied, received, shipped, leader, nowMs) => {
      const p = followerLagPoint(lag(applied, received, shipped, leader), marks, leader, nowMs);
      for (const v of [...Object.values(p.events), ...Object.values(p.ms)]) expect(v).toBeGreaterThanOrEqual(0);
      expect(stageTotal(p.events)).toBe(Math.max(0, leader - applied));
      expect(stageTotal(p.ms)).toBe(ageAfter(marks, Math.min(applied, leader), leader, nowMs));
    }));
  });
});

describe('lagRecordingStep: the demo\'s record of lag over time, a pure reducer', () => {
  const report = (applied: number, leaderSeq: number) => ({ f1: lag(applied, applied, leaderSeq, leaderSeq) });

  it('a report replaces the latest one; a sample appends the lag as of then, stamped since recording began', () => {
    const inputs: LagRecordingInput[] = [
      { kind: 'sample', leaderSeq: 0, atMs: 1000 },
      { kind: 'report', report: report(0, 0), leaderSeq: 0, atMs: 1010 },
      { kind: 'sample', leaderSeq: 50, atMs: 1020 },
      { kind: 'report', report: report(50, 50), leaderSeq: 50, atMs: 1080 },
      { kind: 'sample', leaderSeq: 50, atMs: 1100 },
    ];
    const start = emptyLagRecording(1000);
    const end = inputs.reduce(lagRecordingStep, start);
    expect(start.samples).toEqual([]); // the reducer does not change what it was given
    expect(end.samples.map((s) => s.atMs)).toEqual([0, 20, 100]);
    expect(end.samples[0]!.followers.size).toBe(0); // before any report: nobody heard from
    // The latest report then had shipped nothing: 50 events waiting to ship, written after the leader was last seen at 0 (1010 ms).
    expect(end.samples[1]!.followers.get('f1')).toEqual({ events: { ship: 50, transport: 0, apply: 0 }, ms: { ship: 10, transport: 0, apply: 0 } });
    expect(end.samples[2]!.followers.get('f1')).toEqual({ events: { ship: 0, transport: 0, apply: 0 }, ms: { ship: 0, transport: 0, apply: 0 } });
  });

  it('stays bounded: at most MAX_LAG_PLOT_SAMPLES samples, the newest kept; marks no follower needs are dropped', () => {
    let r: LagRecording = emptyLagRecording(0);
    for (let i = 1; i <= MAX_LAG_PLOT_SAMPLES * 3; i++) {
      r = lagRecordingStep(r, { kind: 'report', report: report(i - 1, i), leaderSeq: i, atMs: i });
      r = lagRecordingStep(r, { kind: 'sample', leaderSeq: i, atMs: i });
      expect(r.samples.length).toBeLessThanOrEqual(MAX_LAG_PLOT_SAMPLES);
    }
    expect(r.samples[r.samples.length - 1]!.atMs).toBe(MAX_LAG_PLOT_SAMPLES * 3);
    expect(r.marks.length).toBeLessThanOrEqual(2);
  });
});
