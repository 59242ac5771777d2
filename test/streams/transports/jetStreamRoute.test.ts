/** The JetStream leader's routing rule (jetStreamRoute.ts) and its fencing and log-end decisions, as pure functions. */
import { describe, expect, it } from 'vitest';
import { Checksum, TidalError, type WalSegmentPayload } from '../../../src/index.js';
import { checkpointShipment } from '../../../streams/shipment.js';
import { fenceVerdict } from '../../../streams/transports/jetStreamPublisher.js';
import {
  afterResendRequest, afterRouted, initialLogState, type LogState, reconciledLogEnd, routeShipment,
} from '../../../streams/transports/jetStreamRoute.js';

function segment(firstSeq: number, lastSeq: number): WalSegmentPayload {
  const bytes = new Uint8Array([firstSeq & 0xff, lastSeq & 0xff]);
  return { shardId: 0, segmentId: firstSeq, firstSeq, lastSeq, sealedAtMs: 1, bytes, checksum: Checksum.of(bytes) };
}

/** Routes then applies, as the leader end does once a publish is acked. */
function send(state: LogState, peer: string, s: WalSegmentPayload) {
  const route = routeShipment(state, peer, s);
  return { route, state: afterRouted(state, peer, s, route) };
}

describe('routeShipment: each segment once on the shared log, re-sends for one follower', () => {
  it('publishes a segment the first time any follower needs it and finds it in the log for the others', () => {
    let state = initialLogState(null);
    const routes: string[] = [];
    for (const [peer, s] of [['f1', segment(1, 50)], ['f2', segment(1, 50)], ['f1', segment(51, 90)], ['f2', segment(51, 90)]] as const) {
      const step = send(state, peer, s);
      routes.push(step.route.kind);
      state = step.state;
    }
    expect(routes).toEqual(['log', 'in-log', 'log', 'in-log']);
    expect(state.publishedThrough).toBe(90);
    expect([...state.sentThrough]).toEqual([['f1', 90], ['f2', 90]]);
  });

  it('a segment sent to a follower again is a re-send for that follower only; the log goes on', () => {
    let state = send(initialLogState(null), 'f1', segment(1, 50)).state;
    state = send(state, 'f1', segment(51, 90)).state;
    expect(routeShipment(state, 'f1', segment(51, 90))).toEqual({ kind: 'peer' });
    state = send(state, 'f1', segment(51, 90)).state;
    expect(state.publishedThrough).toBe(90);
    expect(routeShipment(state, 'f1', segment(91, 130))).toEqual({ kind: 'log', firstNewSeq: 91 });
  });

  it('a resend request counts the whole log as sent to that follower, so its rewound shipper re-sends rather than trust its consumer', () => {
    let state = send(initialLogState(null), 'f1', segment(1, 50)).state;
    state = send(state, 'f2', segment(1, 50)).state;
    state = send(state, 'f1', segment(51, 90)).state;
    expect(routeShipment(state, 'f2', segment(51, 90))).toEqual({ kind: 'in-log' });
    state = afterResendRequest(state, 'f2');
    expect(routeShipment(state, 'f2', segment(51, 90))).toEqual({ kind: 'peer' });
    expect(routeShipment(state, 'f2', segment(1, 50))).toEqual({ kind: 'peer' });
    expect(routeShipment(state, 'f2', segment(91, 100))).toMatchObject({ kind: 'log' });
  });

  it('a resend request before anything is known about the log changes nothing', () => {
    const state = initialLogState(null);
    expect(afterResendRequest(state, 'f1')).toBe(state);
  });

  it('a checkpoint always goes to its follower alone', () => {
    const cp = checkpointShipment(0, 500, new Uint8Array([1, 2, 3]));
    expect(routeShipment(initialLogState(400), 'f1', cp)).toEqual({ kind: 'peer' });
    const after = afterRouted(initialLogState(400), 'f1', cp, { kind: 'peer' });
    expect(after.publishedThrough).toBe(400);
    expect(after.sentThrough.get('f1')).toBe(500);
  });

  it('a merged segment overlapping the log adds only what is new: its message id names the first new seqno', () => {
    const state = send(initialLogState(null), 'f1', segment(1, 50)).state;
    expect(routeShipment(state, 'f2', segment(1, 100))).toEqual({ kind: 'log', firstNewSeq: 51 });
  });

  it('a segment past the log\'s end + 1 still goes to the log (a hole a follower repairs by asking again)', () => {
    expect(routeShipment(initialLogState(50), 'f1', segment(80, 90))).toEqual({ kind: 'log', firstNewSeq: 80 });
  });

  it('tracks at most maxPeers followers', () => {
    let state = initialLogState(null);
    for (const peer of ['a', 'b', 'c']) state = afterRouted(state, peer, segment(1, 10), { kind: 'log', firstNewSeq: 1 }, 2);
    expect([...state.sentThrough.keys()]).toEqual(['a', 'b']);
    expect(afterResendRequest(state, 'c', 2).sentThrough.has('c')).toBe(false);
  });
});

describe('fenceVerdict: who may publish after a refused expectation', () => {
  it('adopts after an older epoch or a message that is not ours; fences for a newer epoch or a second leader of ours', () => {
    expect(fenceVerdict(2, null, 's')).toBe('adopt');
    expect(fenceVerdict(2, 1, 's')).toBe('adopt');
    const newer = fenceVerdict(2, 3, 's');
    expect(newer).toBeInstanceOf(TidalError);
    expect(newer).toMatchObject({ code: 'Fenced', message: expect.stringMatching(/epoch 3, after this leader's epoch 2/) });
    expect(fenceVerdict(2, 2, 's')).toMatchObject({ code: 'Fenced', message: expect.stringMatching(/another leader of epoch 2/) });
  });
});

describe('reconciledLogEnd: where the log ends for a new session', () => {
  it('reads it from the stream when the last message is of this epoch, forgets it for an empty stream, else keeps what it knew', () => {
    expect(reconciledLogEnd(10, { lastStreamSeq: 7, lastEpoch: 1, publishedThrough: 90 }, 1)).toBe(90);
    expect(reconciledLogEnd(10, { lastStreamSeq: 0, lastEpoch: null, publishedThrough: null }, 1)).toBeNull();
    expect(reconciledLogEnd(10, { lastStreamSeq: 7, lastEpoch: 0, publishedThrough: 500 }, 1)).toBe(10);
    expect(reconciledLogEnd(null, { lastStreamSeq: 7, lastEpoch: null, publishedThrough: null }, 1)).toBeNull();
  });
});
