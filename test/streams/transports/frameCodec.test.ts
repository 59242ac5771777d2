import { describe, expect, it } from 'vitest';
import { TidalError, WalError } from '../../../src/index.js';
import { encodeFrame, FrameDecoder } from '../../../streams/transports/frameCodec.js';

const body = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

describe('encodeFrame', () => {
  it('prefixes the body with its length, u32 little-endian (golden bytes)', () => {
    expect(encodeFrame(body('hello'), 1024).toString('hex')).toBe('0500000068656c6c6f');
  });

  it('refuses an empty body or one over maxFrameBytes with InvalidInput', () => {
    expect(() => encodeFrame(new Uint8Array(0), 1024)).toThrowError(TidalError);
    expect(() => encodeFrame(new Uint8Array(1025), 1024)).toThrowError(/1025 bytes is outside 1..maxFrameBytes \(1024\)/);
  });
});

describe('FrameDecoder', () => {
  it('cuts a byte stream into frames however it is split', () => {
    const stream = Buffer.concat([encodeFrame(body('hello'), 64), encodeFrame(body('tidal'), 64), encodeFrame(body('x'), 64)]);
    for (const step of [1, 2, 3, 5, 7, stream.length]) {
      const d = new FrameDecoder(64);
      const out: string[] = [];
      for (let i = 0; i < stream.length; i += step) {
        d.push(stream.subarray(i, i + step));
        for (let f = d.next(); f !== null; f = d.next()) out.push(text(f)!);
      }
      expect(out).toEqual(['hello', 'tidal', 'x']);
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('waits for the rest of a partial frame', () => {
    const d = new FrameDecoder(64);
    d.push(Buffer.from('0500000068', 'hex'));
    expect(d.next()).toBeNull();
    expect(d.bufferedBytes).toBe(5);
    d.push(Buffer.from('656c6c6f', 'hex'));
    expect(text(d.next())).toBe('hello');
  });

  it('refuses a length over the limit as soon as the 4 prefix bytes are in, before any body byte (0xFFFFFFFF: 4 GiB)', () => {
    const d = new FrameDecoder(64 * 1024);
    d.push(Buffer.from([0xff, 0xff]));
    expect(d.next()).toBeNull();
    d.push(Buffer.from([0xff, 0xff]));
    expect(() => d.next()).toThrowError(WalError);
    expect(() => d.next()).toThrowError(/frame length 4294967295 bytes exceeds maxFrameBytes \(65536\)/);
  });

  it('refuses a zero length with WalError Corruption', () => {
    const d = new FrameDecoder(64);
    d.push(Buffer.from([0, 0, 0, 0, 1]));
    expect(() => d.next()).toThrowError(/frame length 0/);
  });

  it('applies a raised limit to the next frame (after a handshake)', () => {
    const d = new FrameDecoder(4);
    d.push(encodeFrame(body('hello'), 64));
    expect(() => d.next()).toThrowError(/exceeds maxFrameBytes \(4\)/);
    d.maxFrameBytes = 5;
    expect(text(d.next())).toBe('hello');
  });
});
