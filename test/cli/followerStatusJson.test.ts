import { describe, expect, it } from 'vitest';
import { followerStatusJson, followerStatusRecord } from '../../streams/cli/followerStatusJson.js';

const nowMs = Date.parse('2025-01-01T00:00:00.000Z');
const time = '2025-01-01T00:00:00.000Z';

describe('followerStatusJson: one JSON object a line, unknown figures null, never 0', () => {
  it('behind: the documented fields, in the documented order', () => {
    const line = followerStatusJson({ nowMs, appliedSeq: 1234, leaderSeq: 1240, stalenessMs: 350.4, connected: true }, 'replica-1');
    expect(line).toBe(`{"time":"${time}","peer":"replica-1","state":"behind","appliedSeq":1234,"leaderSeq":1240,"lagEvents":6,"stalenessMs":350}`);
  });

  it('caught-up: lag 0; a replica ahead of the last announcement is caught up, never a negative lag', () => {
    expect(followerStatusRecord({ nowMs, appliedSeq: 1240, leaderSeq: 1240, stalenessMs: 12, connected: true }, 'r'))
      .toEqual({ time, peer: 'r', state: 'caught-up', appliedSeq: 1240, leaderSeq: 1240, lagEvents: 0, stalenessMs: 12 });
    expect(followerStatusRecord({ nowMs, appliedSeq: 50, leaderSeq: 40, stalenessMs: 10, connected: true }, 'r'))
      .toEqual({ time, peer: 'r', state: 'caught-up', appliedSeq: 50, leaderSeq: 50, lagEvents: 0, stalenessMs: 10 });
  });

  it('leader-unknown: connected before the leader announced its position; lag and staleness null', () => {
    expect(followerStatusRecord({ nowMs, appliedSeq: 0, leaderSeq: null, stalenessMs: Infinity, connected: true }, 'r'))
      .toEqual({ time, peer: 'r', state: 'leader-unknown', appliedSeq: 0, leaderSeq: null, lagEvents: null, stalenessMs: null });
  });

  it('disconnected: the leader seqno as last heard, lag null, staleness still counted', () => {
    expect(followerStatusRecord({ nowMs, appliedSeq: 1240, leaderSeq: 1240, stalenessMs: 5012, connected: false }, 'r'))
      .toEqual({ time, peer: 'r', state: 'disconnected', appliedSeq: 1240, leaderSeq: 1240, lagEvents: null, stalenessMs: 5012 });
    expect(followerStatusRecord({ nowMs, appliedSeq: 0, leaderSeq: null, stalenessMs: Infinity, connected: false }, 'r'))
      .toEqual({ time, peer: 'r', state: 'disconnected', appliedSeq: 0, leaderSeq: null, lagEvents: null, stalenessMs: null });
  });

  it('a peer id with quotes, a newline or a lone surrogate stays one line of valid JSON that reads back as the id', () => {
    for (const peer of ['a"b', 'line\nbreak', 'tab\there', '\uD800', 'ünï 😀']) {
      const line = followerStatusJson({ nowMs, appliedSeq: 1, leaderSeq: 2, stalenessMs: 3, connected: true }, peer);
      expect(line).not.toMatch(/[\n\r]/);
      expect(JSON.parse(line).peer).toBe(peer);
    }
  });
});
