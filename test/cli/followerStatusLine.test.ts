import { describe, expect, it } from 'vitest';
import { followerStatusLine } from '../../streams/cli/followerStatusLine.js';

const nowMs = Date.parse('2025-01-01T00:00:00.000Z');

describe('followerStatusLine: the follower says disconnected or lag unknown when it does not know, never lag 0', () => {
  it('connected, with the leader\'s position known: applied, leader, lag in events, staleness', () => {
    expect(followerStatusLine({ nowMs, appliedSeq: 1234, leaderSeq: 1240, stalenessMs: 350, connected: true }))
      .toBe('2025-01-01T00:00:00.000Z  applied 1,234  leader 1,240  lag 6 events  staleness 350 ms');
  });

  it('connected, before the leader has announced its position: leader unknown, lag unknown', () => {
    expect(followerStatusLine({ nowMs, appliedSeq: 0, leaderSeq: null, stalenessMs: Infinity, connected: true }))
      .toBe('2025-01-01T00:00:00.000Z  applied 0  leader unknown  lag unknown  staleness unknown (not caught up yet)');
  });

  it('disconnected: says so, with the leader position as last heard, and lag unknown (staleness keeps growing)', () => {
    expect(followerStatusLine({ nowMs, appliedSeq: 1240, leaderSeq: 1240, stalenessMs: 5012, connected: false }))
      .toBe('2025-01-01T00:00:00.000Z  applied 1,240  disconnected  leader 1,240 when last heard  lag unknown  staleness 5,012 ms');
    expect(followerStatusLine({ nowMs, appliedSeq: 0, leaderSeq: null, stalenessMs: Infinity, connected: false }))
      .toBe('2025-01-01T00:00:00.000Z  applied 0  disconnected  leader unknown  lag unknown  staleness unknown (not caught up yet)');
  });

  it('a replica ahead of the last announcement shows lag 0, not a negative lag', () => {
    expect(followerStatusLine({ nowMs, appliedSeq: 50, leaderSeq: 40, stalenessMs: 10, connected: true }))
      .toBe('2025-01-01T00:00:00.000Z  applied 50  leader 50  lag 0 events  staleness 10 ms');
  });
});
