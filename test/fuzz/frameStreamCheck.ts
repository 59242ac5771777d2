/**
 * Property (d) over a byte stream, as a connection reads it: the stream is
 * pushed into a `FrameDecoder` in the given chunks, every whole frame is
 * taken and decoded with `decodeMessage`, and each step either yields a
 * well-typed message (validMessage.ts) or throws a typed error, after
 * which the stream is given up (framing cannot resynchronise). A decoded
 * segment or checkpoint must also turn into a payload (or a typed error),
 * and a hello or welcome must pass through the handshake checks without
 * throwing.
 *
 * The frame decoder's own bookkeeping is checked on the way: no frame of
 * length 0 or over the limit, and every pushed byte either taken or
 * still buffered.
 */
import { expect } from 'vitest';
import { FrameDecoder } from '../../streams/transports/frameCodec.js';
import { helloRefusal, welcomeRefusal } from '../../streams/transports/handshake.js';
import { checkpointPayload, decodeMessage, segmentPayload, type TcpMessage } from '../../streams/transports/tcpMessages.js';
import { outcomeOf } from './typedErrors.js';
import { invalidMessage } from './validMessage.js';

export interface StreamResult {
  readonly messages: TcpMessage[];
  /** The typed error that ended the stream, if one did. */
  readonly error: Error | null;
}

export function readStream(stream: Uint8Array, cuts: readonly number[], maxFrameBytes: number): StreamResult {
  const decoder = new FrameDecoder(maxFrameBytes);
  const messages: TcpMessage[] = [];
  const bounds = [...new Set([0, ...cuts.map((c) => c % (stream.length + 1)), stream.length])].sort((a, b) => a - b);
  let pushed = 0;
  let taken = 0;
  for (let i = 1; i < bounds.length; i++) {
    const chunk = stream.subarray(bounds[i - 1], bounds[i]);
    decoder.push(chunk);
    pushed += chunk.length;
    for (;;) {
      const next = outcomeOf('FrameDecoder.next', () => decoder.next());
      if (!next.ok) return { messages, error: next.error };
      const body = next.value;
      if (body === null) break;
      expect(body.length >= 1 && body.length <= maxFrameBytes, `frame of ${body.length} bytes past the limit ${maxFrameBytes}`).toBe(true);
      taken += 4 + body.length;
      const decoded = outcomeOf('decodeMessage', () => decodeMessage(body));
      if (!decoded.ok) return { messages, error: decoded.error };
      expect(invalidMessage(decoded.value), 'decodeMessage returned').toBeNull();
      checkUse(decoded.value);
      messages.push(decoded.value);
    }
    expect(decoder.bufferedBytes, 'bytes pushed are taken or buffered').toBe(pushed - taken);
  }
  return { messages, error: null };
}

/** What the transport does next with a message must not throw untyped errors either. */
function checkUse(m: TcpMessage): void {
  if (m.t === 'segment') outcomeOf('segmentPayload', () => segmentPayload(m));
  if (m.t === 'checkpoint') outcomeOf('checkpointPayload', () => checkpointPayload(m));
  if (m.t === 'hello') {
    const refusal = outcomeOf('helloRefusal', () => helloRefusal(m, { shardId: 0 }));
    expect(refusal.ok, 'helloRefusal threw instead of returning its refusal').toBe(true);
  }
  if (m.t === 'welcome') {
    const refusal = outcomeOf('welcomeRefusal', () => welcomeRefusal(m, 1));
    expect(refusal.ok, 'welcomeRefusal threw instead of returning its refusal').toBe(true);
  }
}
