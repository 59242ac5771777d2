/**
 * The follower's received mark (issue 11, quorum acks) is cumulative and
 * reported as soon as it moves: a validated shipment that continues the
 * applied mark is acked at once, before its apply is acked; a segment past a
 * gap is never counted as received up to its end.
 */
import { defer, NEVER, type Observable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { startFollower } from '../../streams/index.js';
import type { Shipment } from '../../streams/shipment.js';
import type { FollowerFeedback, FollowerTransport } from '../../streams/transport.js';
import { memoryFollower, memoryLeader, sealedSegment } from './fixtures.js';

/** A follower end that hands out `queue` one shipment per receive, then waits forever; feedback goes to `sent`. */
function queuedTransport(queue: Shipment[], sent: FollowerFeedback[]): FollowerTransport {
  const receive$ = (): Observable<Shipment> => defer(() => (queue.length > 0 ? of(queue.shift()!) : NEVER));
  return {
    receive$, recvSegment: () => new Promise(() => undefined), segments: () => NEVER, status: () => NEVER,
    sendFeedback: (f) => void sent.push(f),
  };
}

describe('the received mark', () => {
  it('a segment past a gap does not move it; the next contiguous one is acked as received before it is acked as applied', async () => {
    const leader = await memoryLeader(() => 0);
    const first = await sealedSegment(leader, 5); // 1..5
    const second = await sealedSegment(leader, 5); // 6..10
    const follower = await memoryFollower(() => 0);
    const sent: FollowerFeedback[] = [];
    const f = startFollower({ db: follower, transport: queuedTransport([second, first], sent), peer: 'f1', feedbackIntervalMs: 60_000, checkpointIntervalMs: 0 });
    for (let i = 0; i < 50 && follower.lastSeq < 5; i++) await new Promise((r) => setTimeout(r, 10));
    await f.stop();
    const marks = sent.map((s) => [s.kind, s.receivedSeq, s.durableSeq, s.appliedSeq]);
    expect(marks).toContainEqual(['resend', 0, 0, 0]); // the gap: 6..10 is not received while 1..5 is missing
    const receivedAt = marks.findIndex(([kind, r, , a]) => kind === 'ack' && r === 5 && a === 0);
    const appliedAt = marks.findIndex(([kind, r, d, a]) => kind === 'ack' && r === 5 && d === 5 && a === 5);
    expect(receivedAt).toBeGreaterThanOrEqual(0);
    expect(appliedAt).toBeGreaterThan(receivedAt);
    expect(Math.max(...sent.map((s) => s.receivedSeq))).toBe(5);
    await follower.close();
    await leader.close();
  });
});
