/**
 * decodeSegment against damaged bytes. The segment is a real one, written
 * and sealed by the WAL (test/wal/fixtures/goldenSegment.ts); its layout is
 * walked here straight from the spec (docs/wal-format.md), independently of
 * the decoder, so each flip lands in the field it names.
 *
 * - sealed: any flipped bit and any truncation is WalError 'Corruption',
 *   and the message names the file and a byte offset.
 * - active: a partial or damaged LAST batch is a torn tail (decoding stops
 *   there and reports its offset); damage followed by an intact batch is
 *   Corruption, since acknowledged writes sit behind it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { WalError } from '../../src/errors.js';
import { decodeSegment, type DecodedSegment } from '../../src/wal/decodeSegment.js';
import { segmentFileName } from '../../src/wal/segmentStore.js';
import { buildGoldenSegment, GOLDEN_SHARD_ID } from './fixtures/goldenSegment.js';

const WHERE = segmentFileName(GOLDEN_SHARD_ID, 1);

/** Byte offsets of a segment's parts, read with the spec's offsets only. */
interface Layout {
  readonly metaLength: number;
  readonly batches: ReadonlyArray<{ readonly offset: number; readonly payloadLength: number; readonly end: number }>;
  readonly footer: number;
}

function layoutOf(bytes: Uint8Array, sealed: boolean): Layout {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metaLength = v.getUint32(12, true);
  const end = sealed ? bytes.length - 56 : bytes.length;
  const batches = [];
  for (let at = 40 + metaLength; at < end;) {
    const payloadLength = v.getUint32(at + 40, true);
    batches.push({ offset: at, payloadLength, end: at + 76 + payloadLength });
    at += 76 + payloadLength;
  }
  return { metaLength, batches, footer: end };
}

function flipped(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[offset]! ^= 1 << bit;
  return copy;
}

/** Decodes expecting WalError 'Corruption' whose message names the file and an offset inside the bytes. */
function expectCorruption(bytes: Uint8Array, mode: 'sealed' | 'active' = 'sealed'): WalError {
  let err: unknown;
  try {
    decodeSegment(bytes, WHERE, mode);
  } catch (e) {
    err = e;
  }
  expect(err, 'decodeSegment should have thrown').toBeInstanceOf(WalError);
  const walErr = err as WalError;
  expect(walErr.code).toBe('Corruption');
  expect(walErr.message.startsWith(`${WHERE}: `), walErr.message).toBe(true);
  const offset = /offset (\d+)/.exec(walErr.message);
  expect(offset, `no offset in: ${walErr.message}`).not.toBeNull();
  expect(Number(offset![1])).toBeLessThanOrEqual(bytes.length);
  return walErr;
}

function expectTorn(d: DecodedSegment, offset: number, lastSeq: number, batches: number): void {
  expect(d.torn?.offset).toBe(offset);
  expect(d.torn?.reason).toContain(WHERE);
  expect(d.validLength).toBe(offset);
  expect(d.lastSeq).toBe(lastSeq);
  expect(d.batches).toHaveLength(batches);
  expect(d.footer).toBeNull();
}

let sealed: Uint8Array;
let active: Uint8Array;
let layout: Layout;

beforeAll(async () => {
  sealed = (await buildGoldenSegment()).bytes;
  // The active segment is the same bytes without the footer: sealing only appends it.
  active = sealed.subarray(0, sealed.length - 56);
  layout = layoutOf(sealed, true);
  expect(layout.batches).toHaveLength(2);
  expect(layoutOf(active, false)).toEqual(layout);
});

describe("decodeSegment 'sealed'", () => {
  it('decodes the intact segment (the control for every flip below)', () => {
    const d = decodeSegment(sealed, WHERE, 'sealed');
    expect(d.lastSeq).toBe(5);
    expect(d.footer).toMatchObject({ eventCount: 5, lastSeq: 5 });
  });

  // [region, offset of the field relative to its structure, field size]
  const headerFields: Array<[string, number, number]> = [
    ['magic', 0, 4], ['format version', 4, 2], ['reserved', 6, 2], ['shard id', 8, 4], ['meta length', 12, 4],
    ['segment id', 16, 8], ['first seqno', 24, 8], ['created at', 32, 8],
  ];
  const batchFields: Array<[string, number, number]> = [
    ['magic', 0, 4], ['version', 4, 2], ['reserved', 6, 2], ['shard id', 8, 4], ['event count', 12, 4],
    ['first seqno', 16, 8], ['last seqno', 24, 8], ['committed at', 32, 8], ['payload length', 40, 4], ['payload checksum', 44, 32],
  ];
  const footerFields: Array<[string, number, number]> = [
    ['magic', 0, 4], ['event count', 4, 4], ['last seqno', 8, 8], ['sealed at', 16, 8], ['checksum', 24, 32],
  ];

  /** Flips the lowest and the highest bit of the field's first and last byte. */
  function flipField(base: number, offset: number, size: number): void {
    for (const at of new Set([base + offset, base + offset + size - 1])) {
      for (const bit of [0, 7]) expectCorruption(flipped(sealed, at, bit));
    }
  }

  it.each(headerFields)('a flipped bit in the segment header %s is Corruption', (_name, offset, size) => {
    flipField(0, offset, size);
  });

  it('a flipped bit anywhere in the segment meta is Corruption', () => {
    for (let at = 40; at < 40 + layout.metaLength; at++) for (let bit = 0; bit < 8; bit++) expectCorruption(flipped(sealed, at, bit));
  });

  it.each(batchFields)('a flipped bit in the batch header %s is Corruption, in either batch', (_name, offset, size) => {
    for (const b of layout.batches) flipField(b.offset, offset, size);
  });

  it('a flipped bit in a batch payload is Corruption naming the batch offset', () => {
    for (const b of layout.batches) {
      const err = expectCorruption(flipped(sealed, b.offset + 76 + (b.payloadLength >> 1)));
      expect(err.message).toContain(`batch checksum mismatch at offset ${b.offset}`);
    }
  });

  it.each(footerFields)('a flipped bit in the footer %s is Corruption', (_name, offset, size) => {
    flipField(layout.footer, offset, size);
  });

  it('a flipped footer checksum is reported at the footer offset', () => {
    const err = expectCorruption(flipped(sealed, sealed.length - 1, 3));
    expect(err.message).toBe(`${WHERE}: segment checksum mismatch in footer at offset ${layout.footer}`);
  });

  it('every single flipped bit, anywhere, is Corruption', () => {
    for (let at = 0; at < sealed.length; at++) for (let bit = 0; bit < 8; bit++) expectCorruption(flipped(sealed, at, bit));
  });

  it('every truncation is Corruption', () => {
    for (let length = 0; length < sealed.length; length++) expectCorruption(sealed.subarray(0, length));
  });

  it('bytes after the footer are Corruption', () => {
    expectCorruption(Buffer.concat([sealed, Buffer.from([0])]));
    expectCorruption(Buffer.concat([sealed, sealed.subarray(layout.batches[1]!.offset, layout.batches[1]!.end)]));
  });

  it('a segment that ends after its last batch (no footer) is Corruption', () => {
    const err = expectCorruption(active);
    expect(err.message).toContain(`has no footer (ends at offset ${active.length})`);
  });
});

describe("decodeSegment 'active'", () => {
  it('decodes the intact active segment: no footer, no torn tail', () => {
    const d = decodeSegment(active, WHERE, 'active');
    expect(d).toMatchObject({ footer: null, torn: null, lastSeq: 5, validLength: active.length });
    expect(d.batches.map((b) => b.offset)).toEqual(layout.batches.map((b) => b.offset));
  });

  it('a last batch cut anywhere is a torn tail at its offset', () => {
    const last = layout.batches[1]!;
    for (let length = last.offset + 1; length < last.end; length++) {
      expectTorn(decodeSegment(active.subarray(0, length), WHERE, 'active'), last.offset, 2, 1);
    }
  });

  it('a cut between batches is no tear at all', () => {
    const d = decodeSegment(active.subarray(0, layout.batches[1]!.offset), WHERE, 'active');
    expect(d).toMatchObject({ torn: null, lastSeq: 2, validLength: layout.batches[1]!.offset });
  });

  it('the only batch cut is a torn tail leaving no event', () => {
    const first = layout.batches[0]!;
    expectTorn(decodeSegment(active.subarray(0, first.end - 1), WHERE, 'active'), first.offset, 0, 0);
  });

  it('garbage after the last batch is a torn tail at the end of the last intact batch', () => {
    const garbage = [
      Buffer.alloc(100), // a file extended with zeros, data never written
      Buffer.from('TDWB'), // a batch header cut after its magic
      Buffer.from(active.subarray(layout.batches[1]!.offset, layout.batches[1]!.offset + 80)), // a header and 4 payload bytes
      Buffer.from('TDWF\x05\x00\x00\x00'), // a footer cut short: the seal never completed
      Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) & 0xff)),
    ];
    for (const g of garbage) {
      expectTorn(decodeSegment(Buffer.concat([active, g]), WHERE, 'active'), active.length, 5, 2);
    }
  });

  it('a footer cut short is a torn tail: the seal never became durable', () => {
    for (let length = layout.footer + 1; length < sealed.length; length++) {
      expectTorn(decodeSegment(sealed.subarray(0, length), WHERE, 'active'), layout.footer, 5, 2);
    }
  });

  it('a complete footer failing its checksum is Corruption, not a tear', () => {
    expectCorruption(flipped(sealed, sealed.length - 1), 'active');
  });

  it('a sealed segment decodes in active mode too, footer and all', () => {
    expect(decodeSegment(sealed, WHERE, 'active')).toMatchObject({ torn: null, lastSeq: 5, footer: { eventCount: 5 } });
  });

  /**
   * Batch header bytes no checksum covers until the segment is sealed: the
   * reserved u16 and the committed-at time (the payload checksum covers the
   * payload; seqnos, count, shard and length are cross-checked).
   */
  const unprotected = (relative: number) => (relative >= 6 && relative < 8) || (relative >= 32 && relative < 40);

  it('damage anywhere in the last batch is a torn tail at its offset', () => {
    const last = layout.batches[1]!;
    for (let at = last.offset; at < last.end; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const d = decodeSegment(flipped(active, at, bit), WHERE, 'active');
        const relative = at - last.offset;
        // The committed-at time (32..40) is outside the payload's hash but must be a legal time: a flip that
        // leaves it one goes unnoticed, one that does not (an exponent bit) is damage like any other.
        if (relative >= 32 && relative < 40 && d.torn !== null) expectTorn(d, last.offset, 2, 1);
        else if (unprotected(relative)) expect(d).toMatchObject({ torn: null, lastSeq: 5 });
        else expectTorn(d, last.offset, 2, 1);
      }
    }
  });

  it('damage in a batch followed by an intact batch is Corruption, wherever it is', () => {
    const first = layout.batches[0]!;
    for (let at = first.offset; at < first.end; at++) {
      if (unprotected(at - first.offset)) continue;
      for (let bit = 0; bit < 8; bit++) expectCorruption(flipped(active, at, bit), 'active');
    }
  });

  it.each([
    ['its magic', 0],
    ['its payload length', 40],
    ['its payload length, high byte', 43],
    ['its payload checksum', 50],
    ['its payload', 90],
  ])('a first batch damaged in %s, with an intact batch after it, is Corruption', (_name, relative) => {
    const err = expectCorruption(flipped(active, layout.batches[0]!.offset + relative, 6), 'active');
    expect(err.message).toContain(`offset ${layout.batches[0]!.offset}`);
  });

  it('a damaged segment header is Corruption even in active mode', () => {
    expectCorruption(flipped(active, 0), 'active'); // magic
    expectCorruption(flipped(active, 4), 'active'); // version
    expectCorruption(flipped(active, 8), 'active'); // shard id: every batch disagrees with it
    expectCorruption(flipped(active, 24), 'active'); // first seqno: the first batch does not follow it
  });
});
