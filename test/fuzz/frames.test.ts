/**
 * Fuzzing the TCP transport's decoders: `FrameDecoder`
 * (streams/transports/frameCodec.ts) and `decodeMessage`
 * (streams/transports/tcpMessages.ts), over streams of real frames of
 * every message type, mutated structurally (body re-framed with its true
 * length) or at the byte level, with lying lengths, random bytes, and
 * arbitrary chunking. Property (d): see frameStreamCheck.ts.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type TcpMessage } from '../../streams/transports/tcpMessages.js';
import { DEFAULT_MAX_FRAME_BYTES, MAX_HANDSHAKE_FRAME_BYTES } from '../../streams/transports/tcpDefaults.js';
import { readStream } from './frameStreamCheck.js';
import { frameMutation, mutateFrame } from './frameMutations.js';
import { fuzzParameters, runs } from './fuzzParameters.js';
import { buildRealLog } from './realLog.js';
import { realMessages } from './realMessages.js';

const MUTATED_STREAM_RUNS = 8000;
const RANDOM_STREAM_RUNS = 2000;

let messages: TcpMessage[];
beforeAll(async () => {
  messages = await realMessages(await buildRealLog());
});

const limit = fc.constantFrom(MAX_HANDSHAKE_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES);
const cuts = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 6 });

describe('TCP frame fuzzing', () => {
  it(`reads mutated streams of real frames as well-typed messages or a typed error (${runs(MUTATED_STREAM_RUNS)} cases)`, () => {
    const frame = fc.tuple(fc.nat({ max: 100 }), frameMutation);
    fc.assert(fc.property(fc.array(frame, { minLength: 1, maxLength: 3 }), cuts, limit, (frames, at, max) => {
      const stream = Buffer.concat(frames.map(([i, m]) => mutateFrame(messages[i % messages.length]!, m)));
      readStream(stream, at, max);
    }), fuzzParameters(MUTATED_STREAM_RUNS));
  });

  it(`reads random bytes as well-typed messages or a typed error (${runs(RANDOM_STREAM_RUNS)} cases)`, () => {
    const lengthPrefixed = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((body) => {
      const out = new Uint8Array(4 + body.length);
      new DataView(out.buffer).setUint32(0, body.length, true);
      out.set(body, 4);
      return out;
    });
    const stream = fc.oneof(fc.uint8Array({ maxLength: 128 }), fc.array(lengthPrefixed, { minLength: 1, maxLength: 4 }).map((f) => Buffer.concat(f)));
    fc.assert(fc.property(stream, cuts, limit, (bytes, at, max) => {
      readStream(bytes, at, max);
    }), fuzzParameters(RANDOM_STREAM_RUNS));
  });

  it('reads the real frames back, however the stream is cut (the fixtures are sound)', () => {
    const stream = Buffer.concat(messages.map((m) => encodeMessage(m, DEFAULT_MAX_FRAME_BYTES)));
    for (const step of [1, 3, 7, 64, stream.length]) {
      const at = Array.from({ length: Math.ceil(stream.length / step) }, (_, i) => i * step);
      const result = readStream(stream, at, DEFAULT_MAX_FRAME_BYTES);
      expect(result.error).toBeNull();
      expect(result.messages.map((m) => m.t)).toEqual(messages.map((m) => m.t));
    }
  });

  it('refuses a length over the limit before any body byte arrives', () => {
    for (const max of [MAX_HANDSHAKE_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES]) {
      for (const length of [max + 1, 0xffff_ffff, 0]) {
        const prefix = new Uint8Array(4);
        new DataView(prefix.buffer).setUint32(0, length, true);
        const result = readStream(prefix, [], max);
        expect(result.error?.message, `length ${length}`).toMatch(/frame length/);
      }
    }
  });
});
