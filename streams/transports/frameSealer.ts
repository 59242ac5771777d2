/**
 * Authenticated frames: every frame after a protocol v2 handshake over
 * plain TCP carries a sequence number and a MAC under the connection's key
 * for its direction (frameKeys in handshakeProof.ts). With TLS, TLS itself
 * authenticates every record and these are not used (docs/tcp-protocol.md).
 *
 *   offset  size  field
 *        0     4  N = 8 + M + 16, u32 LE (the frame length, as for any frame)
 *        4     8  seq, u64 LE: 0 for this direction's first frame after the welcome, then +1
 *       12     M  body: one msgpack value (tcpMessages.ts)
 *   12 + M    16  MAC: GMAC(direction key, IV = 4 zero bytes ‖ seq, bytes 0 … 12 + M)
 *
 * The MAC is GMAC (NIST SP 800-38D: AES-256-GCM with no plaintext, the
 * frame as its additional authenticated data, the 128-bit tag), because it
 * runs on the CPU's AES and carry-less-multiply instructions. Measured on
 * the 2-core test machine, one process sending 4 MiB segments to another
 * end in the same process: HMAC-SHA-256 on every frame cost the raw
 * transport about a third of its throughput, GMAC about an eighth
 * (docs/security.md, "Cost"). GCM
 * needs an IV that never repeats under a key: each direction of each
 * connection has its own key (frameKeys), and the seq never repeats in it.
 *
 * The receiver checks the MAC before it looks at the body, then that the
 * seq is the one due, so an injected or altered frame (bad MAC), a replayed
 * one (seq already seen) and a dropped or reordered one (seq ahead) are each
 * refused with `TidalError` `AuthFailed` naming which, and nothing in them is
 * decoded or applied. Pure but for the two counters: bytes in, bytes out.
 */
import { createCipheriv, timingSafeEqual } from 'node:crypto';
import { TidalError } from '../../src/index.js';

/** Bytes of the seq field. */
export const FRAME_SEQ_BYTES = 8;
/** 16 bytes: GCM's full 128-bit tag, as TLS's AES-GCM suites use; a forgery succeeds about once in 2^128 tries. */
export const FRAME_MAC_BYTES = 16;
/** What sealing adds to a body. */
export const SEALED_OVERHEAD_BYTES = FRAME_SEQ_BYTES + FRAME_MAC_BYTES;

const TWO_32 = 2 ** 32;

/** Seals the frames one direction sends: see the file comment. */
export class FrameSealer {
  private seq = 0;

  constructor(private readonly key: Uint8Array) {}

  /**
   * The sealed frame for `body`, as three pieces to write in order (length
   * and seq, the body itself, uncopied, and the MAC).
   */
  seal(body: Uint8Array): [Buffer, Uint8Array, Buffer] {
    const head = Buffer.allocUnsafe(4 + FRAME_SEQ_BYTES);
    head.writeUInt32LE(FRAME_SEQ_BYTES + body.length + FRAME_MAC_BYTES, 0);
    head.writeUInt32LE(this.seq % TWO_32, 4);
    head.writeUInt32LE(Math.floor(this.seq / TWO_32), 8);
    this.seq++;
    return [head, body, gmac(this.key, head.subarray(4), [head, body])];
  }
}

/** Opens the frames one direction receives: see the file comment. */
export class FrameOpener {
  private due = 0;

  constructor(private readonly key: Uint8Array) {}

  /** The seq of the next frame expected. */
  get expectedSeq(): number {
    return this.due;
  }

  /**
   * The body of a sealed frame; `frame` is what follows its length prefix
   * (what FrameDecoder.next returns).
   * @throws TidalError AuthFailed: too short, a bad MAC (altered or injected), or a seq that is not the one due (replayed, dropped, reordered)
   */
  open(frame: Uint8Array): Uint8Array {
    if (frame.length < SEALED_OVERHEAD_BYTES) {
      throw new TidalError('AuthFailed', `a ${frame.length}-byte frame is too short to be authenticated (seq and MAC take ${SEALED_OVERHEAD_BYTES}): injected`);
    }
    const macAt = frame.length - FRAME_MAC_BYTES;
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32LE(frame.length, 0);
    const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    const expected = gmac(this.key, bytes.subarray(0, FRAME_SEQ_BYTES), [length, bytes.subarray(0, macAt)]);
    const seq = bytes.readUInt32LE(0) + bytes.readUInt32LE(4) * TWO_32;
    if (!timingSafeEqual(expected, bytes.subarray(macAt))) {
      throw new TidalError('AuthFailed', `frame ${this.due} failed authentication (bad MAC): altered or injected on the way`);
    }
    if (seq !== this.due) {
      const what = seq < this.due ? `frame ${seq} came again after frame ${this.due - 1}: replayed` : `frame ${seq} came where frame ${this.due} was due: a frame was dropped or reordered`;
      throw new TidalError('AuthFailed', what);
    }
    this.due++;
    return bytes.subarray(FRAME_SEQ_BYTES, macAt);
  }
}

/** GMAC of the concatenated `pieces`: AES-256-GCM over no plaintext, `pieces` as additional data, IV = 4 zero bytes ‖ the 8 seq bytes. */
function gmac(key: Uint8Array, seqBytes: Uint8Array, pieces: readonly Uint8Array[]): Buffer {
  const iv = Buffer.alloc(12);
  iv.set(seqBytes, 4);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: FRAME_MAC_BYTES });
  for (const piece of pieces) cipher.setAAD(piece);
  cipher.final();
  return cipher.getAuthTag();
}
