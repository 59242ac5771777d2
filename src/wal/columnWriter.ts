/**
 * A growable byte buffer for the numeric columns of a v3 batch payload
 * (docs/wal-format.md): unsigned LEB128 varints of safe integers, and
 * little-endian f32/f64. Pure and synchronous: the encoder keeps one and
 * resets it per batch, so encoding a batch allocates no column buffer.
 *
 * @example
 * const w = new ColumnWriter();
 * w.varint(300); // 0xac 0x02
 * w.f32(2.5);
 * w.bytes(); // Uint8Array [0xac, 0x02, 0x00, 0x00, 0x20, 0x40]
 */
import { assert } from '../errors.js';

/** 64 KiB: a 1,000-signal batch's columns on the bench workload take ~4 KB, so the buffer rarely grows. */
const INITIAL_BYTES = 64 * 1024;

export class ColumnWriter {
  private buf = new Uint8Array(INITIAL_BYTES);
  private view = new DataView(this.buf.buffer);
  private length = 0;

  /** Forgets what was written; the next `bytes()` starts empty. */
  reset(): void {
    this.length = 0;
  }

  /** One unsigned LEB128 varint, 1 to 8 bytes; `v` is a safe integer ≥ 0 (-0 writes as 0). */
  varint(v: number): void {
    assert(Number.isSafeInteger(v) && v >= 0, `varint of ${v}`);
    this.reserve(8);
    const buf = this.buf;
    let pos = this.length;
    while (v > 0x7fffffff) {
      buf[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.length = pos;
  }

  /** One byte, 0..255. */
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** What was written since `reset()`: a view, valid until the next write or reset. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }
}
