/**
 * lagStep, the lag reducer, on its own: pure (the state before is never
 * changed), and the figures it yields hold for any history of writes, acks,
 * shipments, joins, leaves and ticks (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FollowerFeedback } from '../../streams/index.js';
import { emptyLagState, type LagEvent, type LagInput, lagReport, type LagState, lagStep } from '../../streams/lagStep.js';
import { MAX_LAG_SAMPLES } from '../../streams/defaults.js';

const fb = (peer: string, appliedSeq: number, receivedSeq = appliedSeq): FollowerFeedback => ({ peer, kind: 'ack', appliedSeq, receivedSeq, atMs: 0 });
const at = (input: LagInput, leaderSeq: number, atMs: number): LagEvent => ({ input, leaderSeq, atMs });

/** Everything in a state, as plain data (to see that a step changed nothing in it). */
const snapshot = (s: LagState) => JSON.stringify({ samples: s.samples, peers: [...s.peers], d: s.disconnectedAfterMs });

describe('lagStep', () => {
  it('a follower joins never-connected, is catching up once heard, streaming once it applied its backlog', () => {
    let s = lagStep(emptyLagState(50), at({ kind: 'join', peer: 'f' }, 5, 0));
    expect(lagReport(s, 5, 0)['f']).toMatchObject({ state: 'never-connected', events: 5 });
    s = lagStep(s, at({ kind: 'feedback', feedback: fb('f', 2) }, 5, 10));
    expect(lagReport(s, 5, 10)['f']).toMatchObject({ state: 'catching-up', events: 3 });
    s = lagStep(s, at({ kind: 'feedback', feedback: fb('f', 5) }, 6, 20));
    expect(lagReport(s, 6, 20)['f']).toMatchObject({ state: 'streaming', events: 1 });
    expect(lagReport(s, 6, 71)['f']!.state).toBe('disconnected'); // silent past 50 ms
    s = lagStep(s, at({ kind: 'forget', peer: 'f' }, 6, 80));
    expect(lagReport(s, 6, 80)).toEqual({});
  });

  it('the stages split the lag: shipped, received, applied', () => {
    let s = lagStep(emptyLagState(), at({ kind: 'shipped', shipped: { peer: 'a', kind: 'segment', segmentId: 1, firstSeq: 1, lastSeq: 8, bytes: 0, atMs: 0 } }, 10, 0));
    s = lagStep(s, at({ kind: 'feedback', feedback: fb('a', 3, 6) }, 10, 1));
    expect(lagReport(s, 10, 1)['a']!.stages).toEqual({ ship: 2, transport: 2, apply: 3 });
  });

  it('samples stretch while the leader stands still and are thinned past MAX_LAG_SAMPLES, newest kept', () => {
    let s = emptyLagState();
    s = lagStep(s, at({ kind: 'tick' }, 0, 0));
    s = lagStep(s, at({ kind: 'tick' }, 0, 5));
    expect(s.samples).toEqual([{ seq: 0, firstMs: 0, atMs: 5 }]);
    for (let i = 1; i <= MAX_LAG_SAMPLES; i++) s = lagStep(s, at({ kind: 'tick' }, i, 10 + i));
    expect(s.samples.length).toBeLessThanOrEqual(MAX_LAG_SAMPLES);
    expect(s.samples.at(-1)!.seq).toBe(MAX_LAG_SAMPLES);
  });

  const peerArb = fc.constantFrom('a', 'b', 'c');
  /** One step of a history: time passes, the leader may write, and one input comes. */
  const stepArb = fc.record({
    dtMs: fc.integer({ min: 1, max: 50 }),
    writes: fc.integer({ min: 0, max: 3 }),
    input: fc.oneof(
      fc.record({ kind: fc.constant('join' as const), peer: peerArb }),
      fc.record({ kind: fc.constant('forget' as const), peer: peerArb }),
      fc.record({ kind: fc.constant('tick' as const) }),
      fc.record({ kind: fc.constant('feedback' as const), peer: peerArb, behind: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('shipped' as const), peer: peerArb, behind: fc.integer({ min: 0, max: 12 }) }),
    ),
  });

  it('property: pure, bounded, and the lag in ms is never below the true age of the oldest unapplied event', () => {
    fc.assert(fc.property(fc.array(stepArb, { maxLength: 120 }), (history) => {
      let s = emptyLagState(1_000);
      let nowMs = 0;
      let leaderSeq = 0;
      const writtenAtMs: number[] = []; // writtenAtMs[seq - 1]
      const present = new Set<string>();
      const applied = new Map<string, number>();
      // The ms figure is an upper bound for a follower measured from before the leader's first write (one
      // that joins later, or comes back, is measured from when it joined: a lower bound, as documented).
      const fromTheStart = new Set<string>();
      for (const step of history) {
        nowMs += step.dtMs;
        for (let i = 0; i < step.writes; i++) writtenAtMs[leaderSeq++] = nowMs;
        const i = step.input;
        const mark = i.kind === 'feedback' || i.kind === 'shipped' ? Math.max(applied.get(i.peer) ?? 0, leaderSeq - i.behind) : 0;
        const input: LagInput = i.kind === 'feedback' ? { kind: 'feedback', feedback: fb(i.peer, mark) }
          : i.kind === 'shipped' ? { kind: 'shipped', shipped: { peer: i.peer, kind: 'segment', segmentId: 1, firstSeq: 1, lastSeq: mark, bytes: 0, atMs: nowMs } }
            : i;
        if (i.kind === 'feedback') applied.set(i.peer, mark);
        if (input.kind === 'forget') {
          present.delete(input.peer);
          fromTheStart.delete(input.peer);
        } else if (input.kind !== 'tick') {
          const peer = input.kind === 'join' ? input.peer : input.kind === 'feedback' ? input.feedback.peer : input.shipped.peer;
          if (!present.has(peer) && leaderSeq === 0 && !applied.has(peer)) fromTheStart.add(peer);
          present.add(peer);
        }
        const before = snapshot(s);
        const next = lagStep(s, at(input, leaderSeq, nowMs));
        expect(snapshot(s)).toBe(before); // the step changed nothing it was given
        s = next;
        expect(s.samples.length).toBeLessThanOrEqual(MAX_LAG_SAMPLES);
        for (let k = 1; k < s.samples.length; k++) expect(s.samples[k]!.seq).toBeGreaterThan(s.samples[k - 1]!.seq);
        const report = lagReport(s, leaderSeq, nowMs);
        expect(new Set(Object.keys(report))).toEqual(present);
        for (const [peer, lag] of Object.entries(report)) {
          expect(lag.events).toBe(Math.max(0, leaderSeq - lag.appliedSeq));
          if (lag.appliedSeq < leaderSeq && fromTheStart.has(peer)) {
            // An upper bound: the oldest unapplied event (appliedSeq + 1) was written after the sample it is measured from.
            expect(lag.ms).toBeGreaterThanOrEqual(nowMs - writtenAtMs[lag.appliedSeq]!);
          } else if (lag.appliedSeq >= leaderSeq) {
            expect(lag.ms).toBe(0);
          }
        }
      }
    }), { numRuns: 300 });
  });
});
