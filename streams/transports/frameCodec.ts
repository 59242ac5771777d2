/**
 * Framing: a u32 little-endian length, then that many body bytes.
 *
 *   offset  size  field
 *        0     4  body length N, u32 LE (1 ≤ N ≤ maxFrameBytes)
 *        4     N  body (one msgpack value, see tcpMessages.ts)
 *
 * Pure: bytes in, bytes out, no I/O. The decoder checks the length against
 * its limit as soon as the 4 prefix bytes are in, before it waits for (or
 * buffers) a single body byte, so a peer cannot make it hold more than
 * `maxFrameBytes` plus one read.
 */
import { TidalError, WalError } from '../../src/index.js';
import { FRAME_HEADER_BYTES } from './tcpDefaults.js';

/**
 * Prefixes `body` with its length.
 * @throws TidalError InvalidInput when the body is empty or longer than `maxFrameBytes` (the peer would refuse it)
 */
export function encodeFrame(body: Uint8Array, maxFrameBytes: number): Buffer {
  if (body.length === 0 || body.length > maxFrameBytes) {
    throw new TidalError('InvalidInput', `frame body of ${body.length} bytes is outside 1..maxFrameBytes (${maxFrameBytes})`);
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Cuts a byte stream into frame bodies: a small state machine, fed with
 * `push(chunk)`, read with `next()`.
 *
 *   push(05 00 00 00 68 65)  next() → null      (2 of 5 body bytes)
 *   push(6c 6c 6f)           next() → "hello"
 *   push(ff ff ff ff)        next() → throws WalError Corruption (length over the limit)
 */
export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;

  /** @param maxFrameBytes the largest body accepted, in bytes; may be raised once a peer is trusted */
  constructor(public maxFrameBytes: number) {}

  /** Bytes held: a partial frame, or whole frames not yet taken. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.length;
  }

  /**
   * The next whole frame body, or null until all of it has arrived.
   * @throws WalError Corruption for an empty frame or one longer than `maxFrameBytes`; the stream cannot be resynchronised after it
   */
  next(): Uint8Array | null {
    if (this.buffered < FRAME_HEADER_BYTES) return null;
    const length = this.peekLength();
    if (length === 0) throw new WalError('Corruption', 'frame length 0: a frame holds one msgpack value of at least 1 byte');
    if (length > this.maxFrameBytes) {
      throw new WalError('Corruption', `frame length ${length} bytes exceeds maxFrameBytes (${this.maxFrameBytes})`);
    }
    if (this.buffered < FRAME_HEADER_BYTES + length) return null;
    this.take(FRAME_HEADER_BYTES);
    return this.take(length);
  }

  private peekLength(): number {
    const head = this.chunks[0]!;
    if (head.length >= FRAME_HEADER_BYTES) return head.readUInt32LE(0);
    const prefix = Buffer.concat(this.chunks, FRAME_HEADER_BYTES);
    return prefix.readUInt32LE(0);
  }

  /** Removes and returns the first `n` buffered bytes (a view when they lie in one chunk, else a copy). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const head = this.chunks[0]!;
    if (head.length >= n) {
      if (head.length === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}

/** The u32 LE length prefix of an unsealed frame (written before its body, which is not copied). */
export function frameLengthPrefix(bodyBytes: number): Buffer {
  const prefix = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  prefix.writeUInt32LE(bodyBytes, 0);
  return prefix;
}
