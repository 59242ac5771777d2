import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { WalError } from '../../../src/errors.js';
import { decodeFeedback, encodeFeedback } from '../../../streams/transports/jetStreamMessages.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

describe('JetStream feedback messages carry the three marks', () => {
  it('round-trips durableSeq beside appliedSeq and receivedSeq', () => {
    const fb = { peer: 'f1', kind: 'ack', appliedSeq: 10, durableSeq: 12, receivedSeq: 15, atMs: 1 } as const;
    expect(decodeFeedback('f1', encodeFeedback(fb))).toEqual(fb);
  });

  it('a follower that sends no durableSeq still decodes (durable counts as applied)', () => {
    const fb = { peer: 'f1', kind: 'ack', appliedSeq: 10, receivedSeq: 15, atMs: 1 } as const;
    const decoded = decodeFeedback('f1', encodeFeedback(fb));
    expect(decoded).toEqual(fb);
    expect('durableSeq' in decoded).toBe(false);
  });

  it('refuses a durableSeq below appliedSeq, or not a count, with Corruption naming it', () => {
    const below = packr.pack({ kind: 'ack', appliedSeq: 10, durableSeq: 9, receivedSeq: 15, atMs: 1 });
    expect(() => decodeFeedback('f1', below)).toThrowError(WalError);
    expect(() => decodeFeedback('f1', below)).toThrowError(/durableSeq 9 is below appliedSeq 10/);
    const notCount = packr.pack({ kind: 'ack', appliedSeq: 10, durableSeq: -1.5, receivedSeq: 15, atMs: 1 });
    expect(() => decodeFeedback('f1', notCount)).toThrowError(/durableSeq/);
  });
});
