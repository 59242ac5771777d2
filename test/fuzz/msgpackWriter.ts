/**
 * A msgpack writer that takes the byte-level form of every value as given,
 * so the fuzzers can write what msgpackr never would: strings holding
 * invalid UTF-8 or encoded lone surrogates, maps with duplicate,
 * non-string or `__proto__` keys, a chosen width for every header, ext
 * values, and raw bytes spliced in anywhere.
 *
 * `fromJs` turns a decoded value back into this form, so a real payload can
 * be decoded, edited as a tree and written again.
 */

/** One msgpack value, with its encoding spelled out. */
export type Mp =
  | { readonly t: 'nil' }
  | { readonly t: 'bool'; readonly v: boolean }
  /** An integer in the smallest form, or in the given one. */
  | { readonly t: 'int'; readonly v: number | bigint; readonly width?: 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' }
  | { readonly t: 'f64'; readonly v: number }
  | { readonly t: 'f32'; readonly v: number }
  /** A string: its UTF-8 bytes as given (well-formed or not). */
  | { readonly t: 'str'; readonly bytes: Uint8Array; readonly width?: 'fix' | '8' | '16' | '32' }
  | { readonly t: 'bin'; readonly bytes: Uint8Array }
  | { readonly t: 'arr'; readonly items: readonly Mp[]; readonly width?: 'fix' | '16' | '32' }
  | { readonly t: 'map'; readonly entries: ReadonlyArray<readonly [Mp, Mp]>; readonly width?: 'fix' | '16' | '32' }
  | { readonly t: 'ext'; readonly type: number; readonly bytes: Uint8Array }
  /** Bytes written as they are: a truncated or invalid value, or several values. */
  | { readonly t: 'raw'; readonly bytes: Uint8Array };

export const nil: Mp = { t: 'nil' };
export const int = (v: number | bigint): Mp => ({ t: 'int', v });
export const f64 = (v: number): Mp => ({ t: 'f64', v });
export const arr = (items: readonly Mp[]): Mp => ({ t: 'arr', items });
export const map = (entries: ReadonlyArray<readonly [Mp, Mp]>): Mp => ({ t: 'map', entries });
export const strBytes = (bytes: Uint8Array): Mp => ({ t: 'str', bytes });

/** A string as WTF-8: lone surrogates are encoded as three bytes each instead of U+FFFD. */
export function str(s: string): Mp {
  return { t: 'str', bytes: wtf8(s) };
}

export function wtf8(s: string): Uint8Array {
  if (!/[\uD800-\uDFFF]/.test(s)) return new Uint8Array(Buffer.from(s, 'utf8')); // no surrogate at all: plain UTF-8
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** The msgpack bytes of `value`. */
export function writeMsgpack(value: Mp): Uint8Array {
  const out = new ByteSink();
  write(out, value);
  return out.bytes();
}

/** A growable byte buffer. */
class ByteSink {
  private buf = new Uint8Array(256);
  private length = 0;

  push(...bytes: number[]): void {
    this.reserve(bytes.length);
    for (const b of bytes) this.buf[this.length++] = b;
  }

  pushAll(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

function write(out: ByteSink, v: Mp): void {
  switch (v.t) {
    case 'nil': return void out.push(0xc0);
    case 'bool': return void out.push(v.v ? 0xc3 : 0xc2);
    case 'int': return writeInt(out, v.v, v.width);
    case 'f64': return push(out, 0xcb, 8, (d) => d.setFloat64(0, v.v));
    case 'f32': return push(out, 0xca, 4, (d) => d.setFloat32(0, v.v));
    case 'str': {
      const n = v.bytes.length;
      const width = v.width ?? (n < 32 ? 'fix' : n < 256 ? '8' : n < 65536 ? '16' : '32');
      if (width === 'fix') out.push(0xa0 | (n & 31));
      else lengthHeader(out, width, n, 0xd9, 0xda, 0xdb);
      return out.pushAll(v.bytes);
    }
    case 'bin':
      lengthHeader(out, v.bytes.length < 256 ? '8' : v.bytes.length < 65536 ? '16' : '32', v.bytes.length, 0xc4, 0xc5, 0xc6);
      return out.pushAll(v.bytes);
    case 'arr': {
      const n = v.items.length;
      const width = v.width ?? (n < 16 ? 'fix' : n < 65536 ? '16' : '32');
      if (width === 'fix') out.push(0x90 | (n & 15));
      else lengthHeader(out, width, n, -1, 0xdc, 0xdd);
      for (const item of v.items) write(out, item);
      return;
    }
    case 'map': {
      const n = v.entries.length;
      const width = v.width ?? (n < 16 ? 'fix' : n < 65536 ? '16' : '32');
      if (width === 'fix') out.push(0x80 | (n & 15));
      else lengthHeader(out, width, n, -1, 0xde, 0xdf);
      for (const [k, val] of v.entries) {
        write(out, k);
        write(out, val);
      }
      return;
    }
    case 'ext': {
      const n = v.bytes.length;
      const fixed = [1, 2, 4, 8, 16].indexOf(n);
      if (fixed >= 0) out.push(0xd4 + fixed, v.type & 0xff);
      else {
        lengthHeader(out, n < 256 ? '8' : n < 65536 ? '16' : '32', n, 0xc7, 0xc8, 0xc9);
        out.push(v.type & 0xff);
      }
      return out.pushAll(v.bytes);
    }
    case 'raw': return out.pushAll(v.bytes);
  }
}

function writeInt(out: ByteSink, value: number | bigint, width?: string): void {
  const n = BigInt(value);
  const w = width ?? (n >= 0n
    ? (n < 128n ? 'fix' : n < 256n ? 'u8' : n < 65536n ? 'u16' : n < 4294967296n ? 'u32' : 'u64')
    : (n >= -32n ? 'fix' : n >= -128n ? 'i8' : n >= -32768n ? 'i16' : n >= -2147483648n ? 'i32' : 'i64'));
  switch (w) {
    case 'fix': return void out.push(Number(BigInt.asUintN(8, n)));
    case 'u8': return push(out, 0xcc, 1, (d) => d.setUint8(0, Number(BigInt.asUintN(8, n))));
    case 'u16': return push(out, 0xcd, 2, (d) => d.setUint16(0, Number(BigInt.asUintN(16, n))));
    case 'u32': return push(out, 0xce, 4, (d) => d.setUint32(0, Number(BigInt.asUintN(32, n))));
    case 'u64': return push(out, 0xcf, 8, (d) => d.setBigUint64(0, BigInt.asUintN(64, n)));
    case 'i8': return push(out, 0xd0, 1, (d) => d.setInt8(0, Number(BigInt.asIntN(8, n))));
    case 'i16': return push(out, 0xd1, 2, (d) => d.setInt16(0, Number(BigInt.asIntN(16, n))));
    case 'i32': return push(out, 0xd2, 4, (d) => d.setInt32(0, Number(BigInt.asIntN(32, n))));
    default: return push(out, 0xd3, 8, (d) => d.setBigInt64(0, BigInt.asIntN(64, n)));
  }
}

/** A big-endian length after `tag8`/`tag16`/`tag32` (-1: that width does not exist for the type). */
function lengthHeader(out: ByteSink, width: string, n: number, tag8: number, tag16: number, tag32: number): void {
  if (width === '8' && tag8 >= 0) return push(out, tag8, 1, (d) => d.setUint8(0, n & 0xff));
  if (width === '8' || width === '16') return push(out, tag16, 2, (d) => d.setUint16(0, n & 0xffff));
  return push(out, tag32, 4, (d) => d.setUint32(0, n >>> 0));
}

function push(out: ByteSink, tag: number, size: number, fill: (d: DataView) => void): void {
  const d = new DataView(new ArrayBuffer(size));
  fill(d);
  out.push(tag, ...new Uint8Array(d.buffer));
}

/**
 * The tree of a decoded value (plain data as msgpackr decodes it), written
 * as the WAL's encoder writes it (docs/wal-format.md): integers from -2^31
 * to 2^32 - 1 as msgpack integers, every other number as a float64;
 * objects become maps with their own keys in order.
 */
export function fromJs(value: unknown): Mp {
  if (value === null || value === undefined) return nil;
  if (typeof value === 'boolean') return { t: 'bool', v: value };
  if (typeof value === 'bigint') return int(value);
  if (typeof value === 'number') return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 32 && !Object.is(value, -0) ? int(value) : f64(value);
  if (typeof value === 'string') return str(value);
  if (value instanceof Uint8Array) return { t: 'bin', bytes: value };
  if (Array.isArray(value)) return arr(value.map(fromJs));
  if (typeof value === 'object') return map(Object.keys(value).map((k) => [str(k), fromJs((value as Record<string, unknown>)[k])] as const));
  throw new Error(`fromJs: cannot write a ${typeof value}`);
}
