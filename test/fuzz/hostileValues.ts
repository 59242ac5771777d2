/**
 * fast-check arbitraries for hostile msgpack content, as `Mp` trees (see
 * msgpackWriter.ts): the values an attacker who can recompute checksums
 * puts where the format expects a number, a string or a map.
 */
import fc from 'fast-check';
import { arr, f64, int, map, type Mp, nil, str, strBytes } from './msgpackWriter.js';

/** Numbers no field accepts, or that sit at an edge: NaN, ±Infinity, -0, huge, tiny, unsafe integers. */
export const hostileNumber: fc.Arbitrary<Mp> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 1e300, -1e300, 8.64e15 + 1, 2 ** 53, 1.5).map(f64),
  fc.constantFrom(NaN, Infinity, -Infinity, 3.4e38).map((v): Mp => ({ t: 'f32', v })),
  fc.constantFrom(2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, -1n, -(2n ** 63n), 0n).map((v): Mp => ({ t: 'int', v, width: v < 0n ? 'i64' : 'u64' })),
  fc.constantFrom(-1, 0, 4294967295).map(int),
  fc.double().map(f64),
);

/** Strings that must not become ids or types, and some that are fine but named like object properties. */
export const hostileString: fc.Arbitrary<Mp> = fc.oneof(
  fc.constantFrom('', 'x\ud800', '\udc00', 'a\udc00b', '\ud800\ud800', '__proto__', 'constructor', 'toString',
    'hasOwnProperty', 'valueOf', '\u0000', 'e\u0301', '😀').map(str),
  fc.constantFrom(
    [0x78, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80],
  ).map((b) => strBytes(Uint8Array.from(b))),
  // Past MAX_ID_BYTES (1 KiB) and MAX_SIGNAL_TYPE_BYTES (256 B), and a declared length past the value's end.
  fc.constantFrom(...[257, 1025, 70_000].map((n) => str('x'.repeat(n)))),
  // A surrogate pair straddling 1024 UTF-16 units: a cut by length there leaves a lone surrogate.
  fc.constant(str(`${'a'.repeat(1023)}😀`)),
  fc.constant<Mp>({ t: 'raw', bytes: Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0x00, 0x61]) }),
  fc.string({ unit: 'binary', maxLength: 8 }).map(str),
);

/** An array nested `depth` deep as raw bytes (0x91 … 0xc0): a recursion bomb at large depths. */
export function deepArray(depth: number): Mp {
  const bytes = new Uint8Array(depth + 1).fill(0x91);
  bytes[depth] = 0xc0;
  return { t: 'raw', bytes };
}

/** A map nested `depth` deep: { a: { a: … nil } }. */
export function deepMap(depth: number): Mp {
  const bytes = new Uint8Array(depth * 3 + 1);
  for (let i = 0; i < depth; i++) bytes.set([0x81, 0xa1, 0x61], i * 3);
  bytes[depth * 3] = 0xc0;
  return { t: 'raw', bytes };
}

/**
 * msgpackr's built-in extensions, which decode to non-plain values (Date,
 * BigInt, typed arrays, Error, RegExp, Set, Map), and unknown or malformed
 * ones.
 */
export const hostileExt: fc.Arbitrary<Mp> = fc.oneof(
  fc.constantFrom(-1, 0x42, 0x74, 0x65, 0x78, 0x73, 0x6d, 0x70, 0x69, 0x72, 0x00, 0x7f, -128).chain((type) =>
    fc.uint8Array({ minLength: 0, maxLength: 17 }).map((bytes): Mp => ({ t: 'ext', type, bytes }))),
  // typed-array extension with a plausible element type byte and an odd length
  fc.constantFrom(...[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b]).map((tag): Mp => ({ t: 'ext', type: 0x74, bytes: Uint8Array.from([tag, 1, 2, 3, 4, 5, 6]) })),
);

/**
 * Maps that a careless `String(value)` or template literal cannot print:
 * msgpackr decodes them to objects whose `toString`/`valueOf` are not
 * functions, so rendering one for an error message throws a TypeError.
 */
export const unprintableMap: fc.Arbitrary<Mp> = fc.constantFrom(
  map([[str('toString'), nil]]),
  map([[str('toString'), int(1)], [str('valueOf'), int(2)]]),
  map([[str('valueOf'), f64(NaN)], [str('toString'), str('x')]]),
);

/** Keys a map should never be trusted with. */
export const hostileKey: fc.Arbitrary<Mp> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', 'x\ud800').map(str),
  hostileNumber,
  fc.constant(nil),
  fc.constant(arr([int(1)])),
  fc.constant(map([[str('k'), int(1)]])),
  hostileExt,
);

/** Any hostile value: scalars above, binary, extensions, containers of them, recursion bombs, malformed bytes. */
export const hostileValue: fc.Arbitrary<Mp> = fc.letrec<{ value: Mp }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileNumber,
    hostileString,
    hostileExt,
    fc.constant(nil),
    fc.boolean().map((v): Mp => ({ t: 'bool', v })),
    fc.uint8Array({ maxLength: 8 }).map((bytes): Mp => ({ t: 'bin', bytes })),
    unprintableMap,
    fc.constantFrom(...[1000, 100_000].map(deepArray)),
    fc.constantFrom(...[1000, 50_000].map(deepMap)),
    fc.constantFrom(...[2, 8].map(deepArray)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => arr(items)),
    fc.array(fc.tuple(fc.oneof(hostileKey, hostileString), tie('value')), { maxLength: 3 }).map((entries) => map(entries)),
    // Malformed: a container that declares more than it holds, reserved byte 0xc1, a lone prefix.
    fc.constantFrom([0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0x7f, 0xff, 0xff, 0xff], [0xc1], [0xcb, 0x00], [0xc6, 0xff, 0xff, 0xff, 0xff])
      .map((b): Mp => ({ t: 'raw', bytes: Uint8Array.from(b) })),
  ),
})).value;

/** A text one byte past MAX_TEXT_BYTES (1 MiB); built once. */
export const oversizeText: Mp = str('x'.repeat(1024 * 1024 + 1));

/** Hostile item `fields`: maps with hostile keys or values, or no map at all. */
export const hostileFields: fc.Arbitrary<Mp> = fc.oneof(
  unprintableMap,
  fc.array(fc.tuple(fc.oneof(hostileKey, hostileString), hostileValue), { minLength: 1, maxLength: 3 }).map((e) => map(e)),
  fc.constantFrom(...[1000, 50_000].map(deepMap)),
  hostileValue,
);

/** What a mutation puts where a number belongs: hostile numbers, and now and then an unprintable map. */
export const hostileNumeric: fc.Arbitrary<Mp> = fc.oneof({ weight: 4, arbitrary: hostileNumber }, { weight: 1, arbitrary: unprintableMap });
