/**
 * Batch format v3 (docs/wal-format.md, "Batch payload v3"), as properties:
 *
 * - encode then decode gives back exactly the events encoded (-0 read as 0,
 *   as v2 did), for random batches: signals and items mixed, unicode ids
 *   sharing prefixes, weights of every code, times near and far apart; a
 *   reader written from the spec agrees, and re-encoding gives the same bytes;
 * - a v3 segment truncated anywhere, or with any bit flipped, is a WalError;
 *   with every checksum recomputed after a flip it is refused or holds only
 *   content a write could have made;
 * - a forged v3 batch, every checksum valid, is refused with 'Corruption'
 *   naming the batch offset and the event (or dictionary entry), both by
 *   decodeSegment and by verifyPayload (the follower's hash-once path).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { WalError } from '../../src/errors.js';
import type { WalEvent } from '../../src/events.js';
import { MAX_BATCH_EVENTS, MAX_ID_BYTES } from '../../src/limits.js';
import { BATCH_HEADER_BYTES, encodeBatch } from '../../src/wal/batch.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { verifyPayload } from '../../src/wal/verifyPayload.js';
import { arr, int, str } from '../fuzz/msgpackWriter.js';
import { payloadOf } from '../fuzz/payloadOf.js';
import { recomputeChecksums } from '../fuzz/recomputeChecksums.js';
import { copyRange } from '../fuzz/segmentParts.js';
import { invalidDecodedSegment } from '../fuzz/validContent.js';
import { eventsBySpec } from './fixtures/columnarSpec.js';
import { col, forgeColumnarBatch } from './fixtures/forgeColumnarBatch.js';
import { buildGoldenColumnsSegment } from './fixtures/goldenColumnsSegment.js';
import { sealedSegmentOf } from './fixtures/sealedSegmentOf.js';

const MS = 1_700_000_000_000;
const MAX_AT = 8.64e15;

const id = fc.oneof(
  fc.constantFrom('item-0001234', 'item-0001239', 'item-00012', 'item-0001', 'ключ-😀', 'ключ-😁', '😀', '😀a', 'a', 'ab', 'abc', '\u{10FFFF}', 'x'.repeat(MAX_ID_BYTES)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
);
const type = fc.constantFrom('view', 'like', 'share', '🔥', 't'.repeat(256));
const weight = fc.oneof(
  fc.integer({ min: -40, max: 40 }),
  fc.integer(),
  fc.double({ min: -(2 ** 53), max: 2 ** 53, noNaN: true }),
  fc.constantFrom(-0, 2 ** 48, 2 ** 48 + 1, -(2 ** 48) - 1, 2 ** 50, 2 ** 53, -(2 ** 53), 0.1, 2.5, 1e-300, 5e-324, 1e15 + 1),
);
const at = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5000, max: 5000 }).map((d) => MS + d) },
  { weight: 1, arbitrary: fc.double({ min: -MAX_AT, max: MAX_AT, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_AT, -MAX_AT, 0, -0, 0.5, MS + 0.25, 2 ** 48, -(2 ** 48)) },
);
const fieldValue = fc.oneof(fc.integer(), fc.boolean(), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
const fields = fc.option(fc.dictionary(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 5 }).filter((k) => k !== '__proto__'), fieldValue, { maxKeys: 3 }), { nil: null });
type Draft = Omit<WalEvent, 'seq'>;
const draft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('signal' as const), itemId: id, type, weight, at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('item' as const), id, text: fc.option(fc.string({ unit: 'grapheme', maxLength: 20 }), { nil: null }), fields }) },
);
const batch = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.constant(2 ** 53 - 100)), fc.array(draft, { minLength: 1, maxLength: 60 }))
  .map(([firstSeq, drafts]) => drafts.map((d, i) => ({ ...d, seq: firstSeq + i }) as WalEvent));

/** What a decoder must give back: -0 is read as 0 (weights, times and field numbers), as v2 did. */
function normalized(e: WalEvent): WalEvent {
  if (e.kind === 'signal') return { ...e, weight: e.weight + 0, at: e.at + 0 };
  const f = e.fields === null ? null : Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [k, typeof v === 'number' ? v + 0 : v]));
  return { ...e, fields: f };
}

function expectCorruption(run: () => unknown, message: RegExp): WalError {
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err, `expected Corruption matching ${message}`).toBeInstanceOf(WalError);
  expect((err as WalError).code).toBe('Corruption');
  expect((err as WalError).message).toMatch(message);
  return err as WalError;
}

describe('batch format v3: encode then decode is the identity', () => {
  it('for random batches: mixed signals and items, unicode ids, every weight and time code (500 cases)', () => {
    fc.assert(fc.property(batch, (events) => {
      const encoded = encodeBatch(0, events, MS);
      const d = decodeSegment(sealedSegmentOf([encoded], { firstSeq: events[0]!.seq }), 'random batch', 'sealed');
      const expected = events.map(normalized);
      expect(d.batches[0]!.events).toEqual(expected);
      expect(eventsBySpec(encoded.subarray(BATCH_HEADER_BYTES), events[0]!.seq, events.length)).toEqual(expected);
      expect(Buffer.from(encodeBatch(0, d.batches[0]!.events, MS)).equals(Buffer.from(encoded)), 're-encoding the decoded events').toBe(true);
    }), { seed: 20_261_205, numRuns: 500 });
  });

  it('a dictionary id shared across a surrogate pair is never split (every prefix of a run of emoji)', () => {
    const ids = ['😀😀😀', '😀😀😁', '😀😁', '😀', '😁', '😀😀'];
    const events: WalEvent[] = ids.map((itemId, i) => ({ kind: 'signal', seq: i + 1, itemId, type: 'view', weight: 1, at: MS }));
    const d = decodeSegment(sealedSegmentOf([encodeBatch(0, events, MS)]), 'emoji', 'sealed');
    expect(d.batches[0]!.events).toEqual(events);
    expect([...d.batches[0]!.columns.itemIds]).toEqual([...ids].sort());
  });
});

describe('a damaged v3 segment is a WalError', () => {
  let whole: Uint8Array;
  beforeAll(async () => {
    whole = Uint8Array.from((await buildGoldenColumnsSegment()).bytes);
  });

  it('truncated at any offset, checksums recomputed or not', () => {
    for (let length = 0; length < whole.length; length++) {
      for (const recompute of [false, true]) {
        const cut = copyRange(whole, 0, length);
        expectCorruption(() => decodeSegment(recompute ? recomputeChecksums(cut) : cut, 'cut', 'sealed'), /offset \d+/);
      }
    }
  });

  it('with any single bit flipped, checksums as written', () => {
    for (let at = 0; at < whole.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Uint8Array.from(whole);
        flipped[at]! ^= 1 << bit;
        expect(() => decodeSegment(flipped, 'flipped', 'sealed'), `bit ${bit} of byte ${at}`).toThrow(WalError);
      }
    }
  });

  it('with any bit of a payload flipped and every checksum recomputed: refused, or content a write could have made', () => {
    const d = decodeSegment(whole, 'whole', 'sealed');
    const start = d.batches[0]!.offset + BATCH_HEADER_BYTES;
    const end = d.batches[1]!.offset;
    let refused = 0;
    for (let at = start; at < end; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Uint8Array.from(whole);
        flipped[at]! ^= 1 << bit;
        recomputeChecksums(flipped);
        let decoded;
        try {
          decoded = decodeSegment(flipped, 'flipped', 'sealed');
        } catch (err) {
          expect(err).toBeInstanceOf(WalError);
          expect((err as WalError).code).toBe('Corruption');
          refused++;
          continue;
        }
        expect(invalidDecodedSegment(decoded, true), `bit ${bit} of byte ${at} decoded to`).toBeNull();
      }
    }
    // Both outcomes happen: flips in strings and numbers often leave valid content (another id, weight or text).
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan((end - start) * 8);
  });
});

/** A one-signal batch's columns: tag (view), id index 0, weight 1, time MS. */
const ONE_SIGNAL = [1, 0, ...col.int(1), ...col.int(MS)];
const signals = (n: number, w: number[], t: number[]) => [...Array(n).fill(1), ...Array(n).fill(0), ...w, ...t];

const forgeries: Array<[string, Parameters<typeof forgeColumnarBatch>[0], RegExp]> = [
  ['a NaN weight (f64)', { count: 1, columns: [1, 0, ...col.f64(NaN), ...col.int(MS)] }, /event 0 \(seqno 1\): weight must be a finite number, got NaN/],
  ['an infinite weight (f32)', { count: 1, columns: [1, 0, ...col.f32(Infinity), ...col.int(MS)] }, /event 0 \(seqno 1\): weight must be a finite number, got Infinity/],
  ['a weight past ±2^53', { count: 1, columns: [1, 0, ...col.f64(2 ** 60), ...col.int(MS)] }, /event 0 \(seqno 1\): weight 1152921504606847000 is beyond/],
  ['an unknown weight code', { count: 1, columns: [1, 0, 5, ...col.int(MS)] }, /unknown weight code 5/],
  ['a NaN time', { count: 1, columns: [1, 0, ...col.int(1), ...col.at64(NaN)] }, /event 0 \(seqno 1\): at must be a finite number/],
  ['a time outside ±8.64e15 ms', { count: 1, columns: [1, 0, ...col.int(1), ...col.at64(1e17)] }, /at 100000000000000000 is outside the legal range/],
  ['a delta that leaves the legal range', { count: 2, ids: [int(0), str('a')], columns: signals(2, [...col.int(1), ...col.int(1)], [...col.at64(MAX_AT), ...col.int(1)]) }, /event 1 \(seqno 2\): at 8640000000000001 is outside/],
  ['an f32 time (times are deltas or f64)', { count: 1, columns: [1, 0, ...col.int(1), 1, 0, 0, 0, 0] }, /unknown time code 1/],
  ['a tag naming a type the dictionary lacks', { count: 1, columns: [2, 0, ...col.int(1), ...col.int(MS)] }, /event 0 \(seqno 1\): tag 2 names type 1, the dictionary holds 1/],
  ['an id index past the dictionary', { count: 1, columns: [1, 1, ...col.int(1), ...col.int(MS)] }, /event 0 \(seqno 1\): item id 1, the dictionary holds 1/],
  // msgpack strings cannot carry a lone surrogate (msgpackr reads encoded surrogates as U+FFFD); a shared length can cut a pair.
  ['a shared length that cuts a surrogate pair', { count: 2, ids: [int(0), str('😀'), int(1), str('x')], columns: signals(2, [...col.int(1), ...col.int(1)], [...col.int(MS), ...col.int(0)]) }, /item id 1 of the dictionary is not well-formed Unicode/],
  ['an empty dictionary id', { count: 1, ids: [int(0), str('')], columns: ONE_SIGNAL }, /item id 0 of the dictionary must be a non-empty string/],
  ['a dictionary id over the byte limit', { count: 1, ids: [int(0), str('x'.repeat(MAX_ID_BYTES + 1))], columns: ONE_SIGNAL }, /item id 0 of the dictionary is 1025 bytes, the limit is 1024/],
  ['a shared prefix that grows an id past the limit', { count: 2, ids: [int(0), str('x'.repeat(1000)), int(1000), str('y'.repeat(30))], columns: signals(2, [...col.int(1), ...col.int(1)], [...col.int(MS), ...col.int(0)]) }, /item id 1 of the dictionary is 1030 bytes/],
  ['a dictionary out of order', { count: 2, ids: [int(0), str('b'), int(0), str('a')], columns: signals(2, [...col.int(1), ...col.int(1)], [...col.int(MS), ...col.int(0)]) }, /item id 1 of the dictionary is not after id 0/],
  ['a dictionary id repeated', { count: 2, ids: [int(0), str('a'), int(1), str('')], columns: signals(2, [...col.int(1), ...col.int(1)], [...col.int(MS), ...col.int(0)]) }, /item id 1 of the dictionary is not after id 0/],
  ['a shared length past the previous id', { count: 2, ids: [int(0), str('a'), int(5), str('b')], columns: signals(2, [...col.int(1), ...col.int(1)], [...col.int(MS), ...col.int(0)]) }, /item id 1 of the dictionary: expected a shared length 0\.\.1/],
  ['more dictionary ids than signals', { count: 1, ids: [int(0), str('a'), int(0), str('b')], columns: ONE_SIGNAL }, /holds 2 ids, more than the batch's 1 signals/],
  ['an empty type', { count: 1, types: [str('')], columns: ONE_SIGNAL }, /type 0 of the dictionary must be a non-empty string/],
  ['a type over the byte limit', { count: 1, types: [str('t'.repeat(257))], columns: ONE_SIGNAL }, /type 0 of the dictionary is 257 bytes, the limit is 256/],
  ['an item tag without an item event', { count: 1, ids: [], columns: [0] }, /event 0 \(seqno 1\) is item event 0, the batch holds 0/],
  ['an item event no tag names', { count: 1, items: [arr([str('i'), { t: 'nil' }, { t: 'nil' }])], columns: ONE_SIGNAL }, /holds 1 item events, its tags name 0/],
  ['item fields that are an array', { count: 1, ids: [], items: [arr([str('i'), { t: 'nil' }, arr([int(1)])])], columns: [0] }, /event 0 \(seqno 1\): fields must be a plain object/],
  ['item text that is a number', { count: 1, ids: [], items: [arr([str('i'), int(42), { t: 'nil' }])], columns: [0] }, /event 0 \(seqno 1\): text must be a string/],
  ['an item event of the wrong shape', { count: 1, ids: [], items: [arr([str('i'), { t: 'nil' }])], columns: [0] }, /not an \[id, text, fields\] tuple/],
  ['bytes after the last time', { count: 1, columns: [...ONE_SIGNAL, 0] }, /bytes past the last signal's time, from column byte 10/],
  ['columns that end before the last time', { count: 1, columns: [1, 0, ...col.int(1)] }, /columns end inside a varint/],
  ['a float cut short', { count: 1, columns: [1, 0, 1, 0, 0] }, /inside a 4-byte float/],
  ['a varint longer than 8 bytes', { count: 1, columns: [...Array(8).fill(0x80), 1] }, /longer than 8 bytes/],
  ['a varint past 2^53 - 1', { count: 1, columns: [...Array(7).fill(0xff), 0x7f] }, /past 2\^53 - 1/],
  ['a payload of three parts', { count: 1, columns: [], payload: arr([arr([]), arr([]), arr([])]) }, /payload is not the array \[ids, types, items, columns \(bin\)\]/],
  ['columns as a string', { count: 1, columns: [], payload: arr([arr([int(0), str('a')]), arr([str('view')]), arr([]), str('\u0001')]) }, /payload is not the array/],
  ['no events at all', { count: 0, firstSeq: 1, columns: [] }, /claims 0 events for seqnos 1\.\.0 \(a v3 batch holds 1\.\.8192\)/],
  [`more than ${MAX_BATCH_EVENTS} events`, { count: MAX_BATCH_EVENTS + 1, columns: ONE_SIGNAL }, /claims 8193 events .*a v3 batch holds 1\.\.8192/],
];

describe('a forged v3 batch, every checksum valid, is refused with Corruption naming the offset and the event', () => {
  it('the control: the same forge makes a batch that decodes', () => {
    const d = decodeSegment(sealedSegmentOf([forgeColumnarBatch({ count: 1, columns: ONE_SIGNAL })]), 'forged', 'sealed');
    expect(d.batches[0]!.events).toEqual([{ kind: 'signal', seq: 1, itemId: 'a', type: 'view', weight: 1, at: MS }]);
  });

  it.each(forgeries)('%s', (_what, parts, message) => {
    const bytes = sealedSegmentOf([forgeColumnarBatch(parts)]);
    const headerLength = bytes.indexOf(0x54, 40); // the batch magic "TDWB" follows the header
    for (const decode of [() => decodeSegment(bytes, 'forged', 'sealed'), () => verifyPayload(payloadOf(bytes))]) {
      const err = expectCorruption(decode, message);
      expect(err.message).toMatch(new RegExp(`offset (${headerLength}|${headerLength + BATCH_HEADER_BYTES})\\b`));
    }
  });
});

