/**
 * Reads the numeric columns of a v3 batch payload (docs/wal-format.md):
 * unsigned LEB128 varints and little-endian f32/f64, every read bounds
 * checked. A varint longer than 8 bytes or past 2^53 − 1, or a read past
 * the end, throws a plain Error naming the byte; the batch decoder wraps it
 * as WalError 'Corruption' with the batch's offset.
 *
 * @example
 * const r = new ColumnReader(Uint8Array.of(0xac, 0x02));
 * r.varint(); // 300
 * r.atEnd;    // true
 */

/** A varint holds at most 8 bytes: 56 bits, room for every safe integer (53 bits). */
const MAX_VARINT_BYTES = 8;

export class ColumnReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes read so far: the offset of the next read, from the start of the columns. */
  get offset(): number {
    return this.pos;
  }

  get atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  varint(): number {
    const bytes = this.bytes;
    const start = this.pos;
    const first = bytes[start];
    if (first !== undefined && first < 0x80) {
      this.pos = start + 1;
      return first;
    }
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = bytes[start + i];
      if (b === undefined) throw new Error(`columns end inside a varint at column byte ${start + i}`);
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) throw new Error(`varint at column byte ${start} is past 2^53 - 1`);
        this.pos = start + i + 1;
        return value;
      }
      scale *= 128;
    }
    throw new Error(`varint at column byte ${start} is longer than ${MAX_VARINT_BYTES} bytes`);
  }

  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Error(`columns end at column byte ${this.bytes.length}, inside a ${n}-byte float at ${this.pos}`);
  }
}
