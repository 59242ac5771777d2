import { describe, expect, it } from 'vitest';
import { TidalError } from '../../../src/index.js';
import { FrameOpener, FrameSealer, SEALED_OVERHEAD_BYTES } from '../../../streams/transports/frameSealer.js';

const key = new Uint8Array(32).fill(7);
/** What FrameDecoder.next hands over: the frame without its length prefix. */
const afterLength = (pieces: Uint8Array[]) => Buffer.concat(pieces).subarray(4);

describe('FrameSealer / FrameOpener: every frame after the handshake is authenticated, with a sequence number', () => {
  it('seals with the length, a seq and a 16-byte MAC, and opens back to the body, in order', () => {
    const sealer = new FrameSealer(key);
    const opener = new FrameOpener(key);
    for (const text of ['first', 'second', 'third']) {
      const pieces = sealer.seal(Buffer.from(text));
      expect(Buffer.concat(pieces).readUInt32LE(0)).toBe(text.length + SEALED_OVERHEAD_BYTES);
      expect(Buffer.from(opener.open(afterLength(pieces))).toString()).toBe(text);
    }
    expect(opener.expectedSeq).toBe(3);
  });

  it('pins the bytes of a sealed frame (golden, as in docs/tcp-protocol.md)', () => {
    const frame = Buffer.concat(new FrameSealer(key).seal(Buffer.from('hi')));
    expect(frame.toString('hex')).toBe('1a0000000000000000000000686998fc89ff7e16720973b08857bb81221f');
  });

  it('an altered or injected frame fails its MAC; a replayed one is refused; a dropped or reordered one too; each with AuthFailed saying which', () => {
    const sealer = new FrameSealer(key);
    const frames = [0, 1, 2, 3].map((i) => afterLength(sealer.seal(Buffer.from(`frame ${i}`))));
    const cases: Array<[string, (o: FrameOpener) => void, RegExp]> = [
      ['altered', (o) => {
        const bad = Buffer.from(frames[0]!);
        bad[10] = bad[10]! ^ 1;
        o.open(bad);
      }, /^frame 0 failed authentication \(bad MAC\): altered or injected/],
      ['injected (a frame sealed under another key)', (o) => o.open(afterLength(new FrameSealer(new Uint8Array(32)).seal(Buffer.from('forged')))), /failed authentication/],
      ['injected (too short to carry a MAC)', (o) => o.open(Buffer.from('tiny')), /too short to be authenticated/],
      ['replayed', (o) => {
        o.open(frames[0]!);
        o.open(frames[1]!);
        o.open(frames[0]!);
      }, /^frame 0 came again after frame 1: replayed$/],
      ['dropped', (o) => {
        o.open(frames[0]!);
        o.open(frames[2]!);
      }, /^frame 2 came where frame 1 was due: a frame was dropped or reordered$/],
      ['reordered', (o) => o.open(frames[1]!), /^frame 1 came where frame 0 was due/],
    ];
    for (const [what, attack, message] of cases) {
      let error: unknown = null;
      try {
        attack(new FrameOpener(key));
      } catch (err) {
        error = err;
      }
      expect(error, what).toBeInstanceOf(TidalError);
      expect(error, what).toMatchObject({ code: 'AuthFailed', message: expect.stringMatching(message) });
    }
  });

  it('a frame cannot be reflected: the other direction\'s key does not open it', () => {
    const toFollower = afterLength(new FrameSealer(new Uint8Array(32).fill(1)).seal(Buffer.from('x')));
    expect(() => new FrameOpener(new Uint8Array(32).fill(2)).open(toFollower)).toThrowError(/failed authentication/);
  });
});
