import { map, Subject } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { WalError, type WalSegmentPayload } from '../../src/index.js';
import { type SegmentRejection, validateChecksum } from '../../streams/index.js';
import { flipBit } from '../../streams/transports/faultInjectingTransport.js';
import { verifySegment } from '../../streams/validateChecksum.js';
import { memoryLeader, sealedSegment } from './fixtures.js';

async function threeSegments(): Promise<WalSegmentPayload[]> {
  const db = await memoryLeader(() => 0);
  return [await sealedSegment(db, 4), await sealedSegment(db, 4), await sealedSegment(db, 4)];
}

describe('validateChecksum', () => {
  it('passes intact segments and turns a flipped bit into a Corruption rejection, never an error', async () => {
    const [a, b, c] = await threeSegments();
    marbles((m) => {
      const rejected = new Subject<SegmentRejection>();
      const source = m.cold('a-b-c|', { a: a!, b: flipBit(b!, 100), c: c! });
      m.expect(source.pipe(validateChecksum(rejected), map((v) => v.payload.segmentId))).toBeObservable('a---c|', { a: 1, c: 3 });
      m.expect(rejected.pipe(map((r) => `${r.segmentId}:${(r.error as WalError).code}`))).toBeObservable('--x', { x: '2:Corruption' });
      m.expect(source).toHaveSubscriptions('^----!');
    })();
  });

  it('catches a flip in every region of the segment: header, batch header, payload, footer', async () => {
    const [a] = await threeSegments();
    for (let offset = 0; offset < a!.bytes.length; offset += 7) {
      const verdict = verifySegment(flipBit(a!, offset * 8 + (offset % 8)));
      expect(verdict, `flip at byte ${offset}`).toBeInstanceOf(WalError);
      expect((verdict as WalError).code).toBe('Corruption');
    }
  });

  it('catches bytes that match their own checksum but not the segment header (a re-labelled payload)', async () => {
    const [a, b] = await threeSegments();
    const relabelled = { ...b!, firstSeq: a!.firstSeq, lastSeq: a!.lastSeq, segmentId: a!.segmentId };
    expect((verifySegment(relabelled) as WalError).code).toBe('Corruption');
  });

  it('names the segment and the offset in the message', async () => {
    const [a] = await threeSegments();
    const bad = { ...flipBit(a!, 60 * 8), checksum: a!.checksum };
    const fresh = verifySegment({ ...bad, checksum: (await import('../../src/index.js')).Checksum.of(bad.bytes) });
    expect(fresh).toBeInstanceOf(WalError);
    expect((fresh as WalError).message).toMatch(/segment 1 .*offset \d+/);
  });
});
