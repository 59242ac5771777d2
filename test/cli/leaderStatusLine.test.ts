/** The leader's status line: a pure formatter of the lag report. */
import { describe, expect, it } from 'vitest';
import { followerStatus, leaderStatusLine } from '../../streams/cli/leaderStatusLine.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

describe('leaderStatusLine', () => {
  it('lists each follower in set order with its state and its lag in events and ms', () => {
    const line = leaderStatusLine({
      nowMs: T, leaderSeq: 10_400, followers: ['replica-1', 'replica-2'],
      lag: { 'replica-2': { state: 'catching-up', events: 1_500, ms: 3_210.6 }, 'replica-1': { state: 'streaming', events: 0, ms: 0 } },
    });
    expect(line).toBe('2026-01-01T12:00:00.250Z  leader seqno 10,400  "replica-1" streaming, lag 0 events, 0 ms  "replica-2" catching-up, lag 1,500 events, 3,211 ms');
  });

  it('says "lag unknown" for a follower absent from the report or without a finite lag, never 0', () => {
    const line = leaderStatusLine({
      nowMs: T, leaderSeq: 2_000, followers: ['a', 'b', 'c'],
      lag: { b: { state: 'never-connected' }, c: { state: 'disconnected', events: Number.NaN, ms: 5 } },
    });
    expect(line).toBe('2026-01-01T12:00:00.250Z  leader seqno 2,000  "a" lag unknown  "b" never-connected, lag unknown  "c" disconnected, lag unknown');
    expect(line).not.toMatch(/lag 0/);
  });

  it('reads a FollowerLag entry as lag$ carries it, with or without a state', () => {
    const entry = { events: 20, ms: 900, shippedSeq: 30, receivedSeq: 20, appliedSeq: 10, stages: { ship: 0, transport: 10, apply: 10 } };
    expect(leaderStatusLine({ nowMs: T, leaderSeq: 30, followers: ['r1'], lag: { r1: entry } })).toBe('2026-01-01T12:00:00.250Z  leader seqno 30  "r1" lag 20 events, 900 ms');
    expect(followerStatus('r1', { ...entry, state: 'catching-up' })).toBe('"r1" catching-up, lag 20 events, 900 ms');
  });

  it('shows an unknown age, a peer outside the set (after the set, by id), and no followers at all', () => {
    expect(followerStatus('r1', { events: 7, ms: Infinity })).toBe('"r1" lag 7 events, ms unknown');
    const line = leaderStatusLine({ nowMs: T, leaderSeq: 1, followers: ['z'], lag: { y: { events: 1, ms: 2 }, x: { events: 0, ms: 0 } } });
    expect(line).toBe('2026-01-01T12:00:00.250Z  leader seqno 1  "z" lag unknown  "x" lag 0 events, 0 ms  "y" lag 1 events, 2 ms');
    expect(leaderStatusLine({ nowMs: T, leaderSeq: 0, followers: [], lag: {} })).toBe('2026-01-01T12:00:00.250Z  leader seqno 0  no followers');
  });

  it('quotes peer ids, so an id with spaces or quotes reads unambiguously', () => {
    expect(followerStatus('db 2 "east"', { state: 'streaming', events: 0, ms: 0 })).toBe('"db 2 \\"east\\"" streaming, lag 0 events, 0 ms');
  });
});
