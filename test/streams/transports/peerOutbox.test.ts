import { describe, expect, it } from 'vitest';
import { Checksum, TidalError, type WalSegmentPayload } from '../../../src/index.js';
import type { FrameSink } from '../../../streams/transports/frameConnectionOptions.js';
import { continuesFrom, PeerOutbox } from '../../../streams/transports/peerOutbox.js';
import { isCheckpoint, type Shipment } from '../../../streams/shipment.js';

/** A socket stand-in: `write` returns false once `highWaterFrames` frames are buffered; `drain()` empties it. */
class FakeSink implements FrameSink {
  written: number[] = [];
  buffered = 0;
  constructor(private readonly highWaterFrames: number) {}
  get needsDrain(): boolean {
    return this.buffered >= this.highWaterFrames;
  }
  sendBody(body: Uint8Array): boolean {
    this.written.push(Buffer.from(body).readUInt32LE(0));
    this.buffered++;
    return !this.needsDrain;
  }
  drain(outbox: PeerOutbox): void {
    this.buffered = 0;
    outbox.drained(this);
  }
}

const seg = (firstSeq: number, lastSeq = firstSeq): WalSegmentPayload => ({
  shardId: 0, segmentId: firstSeq, firstSeq, lastSeq, sealedAtMs: 0, bytes: new Uint8Array(0), checksum: Checksum.of(new Uint8Array(0)),
});
/** The "body" is just the segment's firstSeq, so tests can read what was written. */
const encode = (s: Shipment) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(isCheckpoint(s) ? 0 : s.firstSeq);
  return b;
};

function track(outbox: PeerOutbox, s: WalSegmentPayload) {
  const state = { done: false, error: null as unknown };
  const sub = outbox.send$(s).subscribe({ complete: () => (state.done = true), error: (e) => (state.error = e) });
  return Object.assign(state, { sub });
}

describe('PeerOutbox', () => {
  it('completes a send once written below the high-water mark; past it, only at the drain', () => {
    const outbox = new PeerOutbox(4, encode);
    const sink = new FakeSink(2);
    outbox.attach(sink, 0);
    const a = track(outbox, seg(1));
    const b = track(outbox, seg(2));
    const c = track(outbox, seg(3));
    expect([a.done, b.done, c.done]).toEqual([true, false, false]);
    expect(sink.written).toEqual([1, 2]); // b wrote, then the buffer was full: c waits in the queue
    expect(outbox.queued).toBe(1);
    sink.drain(outbox);
    expect([b.done, c.done]).toEqual([true, true]);
    expect(sink.written).toEqual([1, 2, 3]);
  });

  it('holds at most capacity frames; more senders wait in order and nothing is dropped', () => {
    const outbox = new PeerOutbox(2, encode);
    const sends = [1, 2, 3, 4, 5].map((n) => track(outbox, seg(n)));
    expect(outbox.queued).toBe(2);
    expect(outbox.waitingSenders).toBe(3);
    expect(sends.some((s) => s.done)).toBe(false); // not connected: everything waits
    const sink = new FakeSink(1);
    outbox.attach(sink, 0);
    for (let i = 0; i < 5; i++) sink.drain(outbox);
    expect(sink.written).toEqual([1, 2, 3, 4, 5]);
    expect(sends.every((s) => s.done)).toBe(true);
  });

  it('withdraws a send unsubscribed before it was written', () => {
    const outbox = new PeerOutbox(1, encode);
    track(outbox, seg(1));
    const b = track(outbox, seg(2));
    const c = track(outbox, seg(2, 3));
    b.sub.unsubscribe();
    expect(outbox.waitingSenders).toBe(1);
    const sink = new FakeSink(10);
    outbox.attach(sink, 0);
    expect(sink.written).toEqual([1, 2]); // c (2..3), not b
    expect([b.done, c.done]).toEqual([false, true]);
  });

  it('on a new connection, releases unwritten what the follower holds or could not apply after its mark', () => {
    const outbox = new PeerOutbox(8, encode);
    const sends = [seg(1, 5), seg(6, 9), seg(10, 12), seg(20, 22)].map((s) => track(outbox, s));
    const sink = new FakeSink(10);
    expect(outbox.attach(sink, 5)).toBe(false); // 20..22 was dropped: the queue does not reach its end from the mark
    expect(sink.written).toEqual([6, 10]);
    expect(sends.map((s) => s.done)).toEqual([true, true, true, true]);
  });

  it('attach says whether the queue continues from the mark to its end (then the shipper need not re-send)', () => {
    const continuing = new PeerOutbox(8, encode);
    for (const s of [seg(1, 5), seg(6, 9), seg(10, 12)]) track(continuing, s);
    expect(continuing.attach(new FakeSink(10), 5)).toBe(true);
    expect(new PeerOutbox(8, encode).attach(new FakeSink(10), 5)).toBe(false); // nothing queued: ship from the mark
    const gapped = new PeerOutbox(8, encode);
    for (const s of [seg(8, 9), seg(10, 12)]) track(gapped, s);
    expect(gapped.attach(new FakeSink(10), 5)).toBe(false);
  });

  it('a frame written to a connection that is lost completes (lost in transit); later sends wait for the next one', () => {
    const outbox = new PeerOutbox(4, encode);
    const first = new FakeSink(1);
    outbox.attach(first, 0);
    const a = track(outbox, seg(1));
    expect(a.done).toBe(false); // written, waiting for a drain
    outbox.detach(first);
    expect(a.done).toBe(true);
    const b = track(outbox, seg(2));
    first.drain(outbox); // a stale drain from the old connection changes nothing
    expect(b.done).toBe(false);
    const second = new FakeSink(10);
    outbox.attach(second, 1);
    expect(second.written).toEqual([2]);
    expect(b.done).toBe(true);
  });

  it('close() errors every queued, waiting and in-flight send with Closed, and later sends at once', () => {
    const outbox = new PeerOutbox(1, encode);
    const sink = new FakeSink(1);
    outbox.attach(sink, 0);
    const sends = [1, 2, 3].map((n) => track(outbox, seg(n)));
    outbox.close(new TidalError('Closed', 'closed'));
    for (const s of sends) expect(s.error).toMatchObject({ code: 'Closed' });
    expect(track(outbox, seg(4)).error).toMatchObject({ code: 'Closed' });
  });

  it('errors just the send whose segment cannot be framed', () => {
    const outbox = new PeerOutbox(4, (s) => {
      if (!isCheckpoint(s) && s.firstSeq === 2) throw new TidalError('InvalidInput', 'too big');
      return encode(s);
    });
    const sink = new FakeSink(10);
    outbox.attach(sink, 0);
    const sends = [1, 2, 3].map((n) => track(outbox, seg(n)));
    expect(sends.map((s) => s.done)).toEqual([true, false, true]);
    expect(sends[1]!.error).toMatchObject({ code: 'InvalidInput' });
  });
});

describe('continuesFrom', () => {
  it('keeps the segments that apply in turn after the mark', () => {
    expect(continuesFrom([seg(1, 5), seg(6, 9), seg(12, 14)], 5)).toEqual([false, true, false]);
    expect(continuesFrom([seg(3, 8), seg(9, 9)], 5)).toEqual([true, true]); // overlapping: applies from 6
    expect(continuesFrom([], 5)).toEqual([]);
  });
});
