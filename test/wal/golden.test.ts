/**
 * Golden files for the byte format (docs/wal-format.md): a fixed segment
 * (batch format v3) and a fixed checkpoint, encoded by the real encoders and
 * compared with the committed dumps under test/golden/. A change to any
 * encoded byte fails here and shows as a readable diff of the .hex file.
 * The v2 segment that preceded it is pinned by goldenV2.test.ts, and a v3
 * batch using every column code by goldenColumns.test.ts.
 *
 * Regenerate (only after deliberately changing the format, together with the
 * spec): UPDATE_GOLDEN=1 npx vitest run test/wal/golden.test.ts
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { blake3Digest, Checksum, createHasher } from '../../src/checksum.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/db/checkpoint.js';
import { applyWalEvent, DbState } from '../../src/db/dbState.js';
import { BATCH_HEADER_BYTES, encodeBatch } from '../../src/wal/batch.js';
import { decodeSegment, type DecodedSegment } from '../../src/wal/decodeSegment.js';
import { encodeSegmentFooter, FOOTER_BYTES } from '../../src/wal/segmentFooter.js';
import { encodeSegmentHeader } from '../../src/wal/segmentHeader.js';
import { segmentFileName } from '../../src/wal/segmentStore.js';
import {
  buildGoldenSegment, FIXED_MS, GOLDEN_HALF_LIVES, GOLDEN_REGION_ID, GOLDEN_SHARD_ID,
} from './fixtures/goldenSegment.js';
import { eventsBySpec, varintBytes, zigzag } from './fixtures/columnarSpec.js';
import { formatHexDump, parseHexDump } from './fixtures/hexDump.js';
import { segmentRegions } from './fixtures/segmentRegions.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const SEGMENT_HEX = fileURLToPath(new URL('../golden/segment.hex', import.meta.url));
const CHECKPOINT_HEX = fileURLToPath(new URL('../golden/checkpoint.hex', import.meta.url));
/** The checkpoint of the same state in format version 2, as committed before version 3: readers still take it. */
const CHECKPOINT_V2_HEX = fileURLToPath(new URL('../golden/checkpoint-v2.hex', import.meta.url));

/** Writes `text` under UPDATE_GOLDEN=1, else returns the committed text. */
function golden(file: string, text: string): string {
  if (UPDATE) fs.writeFileSync(file, text);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
  return fs.readFileSync(file, 'utf8');
}

function segmentDump(bytes: Uint8Array): string {
  const decoded = decodeSegment(bytes, 'golden segment', 'sealed');
  return formatHexDump([
    `${segmentFileName(GOLDEN_SHARD_ID, 1)} as written by test/wal/fixtures/goldenSegment.ts.`,
    'Pinned by test/wal/golden.test.ts (regenerate with UPDATE_GOLDEN=1); every byte is described in docs/wal-format.md.',
    `${bytes.length} bytes; BLAKE3-256 of all of them (WalSegmentPayload.checksum): ${Checksum.of(bytes).toHex()}`,
  ], bytes, segmentRegions(decoded, bytes.length));
}

function checkpointDump(bytes: Uint8Array): string {
  return formatHexDump([
    'The checkpoint of the golden segment\'s state (seqno 5), as encoded by src/db/checkpoint.ts.',
    'Pinned by test/wal/golden.test.ts (regenerate with UPDATE_GOLDEN=1); described in docs/wal-format.md.',
  ], bytes, [
    { offset: 0, length: 24, label: 'checkpoint header' },
    { offset: 24, length: 32, label: 'checkpoint checksum: BLAKE3-256 of bytes 0..23 then the body' },
    { offset: 56, length: bytes.length - 56, label: 'checkpoint body (msgpack)' },
  ]);
}

function stateOf(decoded: DecodedSegment): DbState {
  const state = new DbState(decoded.header.halfLives);
  for (const b of decoded.batches) for (const e of b.events) applyWalEvent(state, e);
  return state;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('golden segment (test/golden/segment.hex)', () => {
  it('the encoders write exactly the committed bytes', async () => {
    const payload = await buildGoldenSegment();
    const actual = segmentDump(payload.bytes);
    expect(actual).toBe(golden(SEGMENT_HEX, actual));
    // WalSegmentPayload.checksum covers exactly the sealed segment's bytes.
    expect(payload.checksum.toHex()).toBe(Buffer.from(blake3Digest(payload.bytes)).toString('hex'));
  });

  const bytes = () => parseHexDump(fs.readFileSync(SEGMENT_HEX, 'utf8'));

  it('decodes to the fields that were written', () => {
    const d = decodeSegment(bytes(), 'test/golden/segment.hex', 'sealed');
    expect(d.header).toEqual({
      shardId: GOLDEN_SHARD_ID, segmentId: 1, firstSeq: 1, createdAtMs: FIXED_MS,
      regionId: GOLDEN_REGION_ID, halfLives: { defaultMs: GOLDEN_HALF_LIVES.defaultMs, byType: new Map([['like', GOLDEN_HALF_LIVES.byType.like]]) }, epoch: 0, epochStartSeq: 1, epochHistory: [],
    });
    expect(d.batches.map(({ firstSeq, lastSeq, committedAtMs, version, eventCount, events }) => ({ firstSeq, lastSeq, committedAtMs, version, eventCount, events }))).toEqual([
      {
        firstSeq: 1, lastSeq: 2, committedAtMs: FIXED_MS, version: 3, eventCount: 2, events: [
          { kind: 'item', seq: 1, id: 'a', text: 'Hello tidal world', fields: { lang: 'en', n: 7 } },
          { kind: 'item', seq: 2, id: 'b', text: 'second item', fields: null },
        ],
      },
      {
        firstSeq: 3, lastSeq: 5, committedAtMs: FIXED_MS + 1000, version: 3, eventCount: 3, events: [
          { kind: 'signal', seq: 3, itemId: 'a', type: 'view', weight: 1, at: FIXED_MS },
          { kind: 'signal', seq: 4, itemId: 'b', type: 'like', weight: 2.5, at: FIXED_MS - 600_000 },
          { kind: 'signal', seq: 5, itemId: 'a', type: 'view', weight: -0.5, at: FIXED_MS - 3_600_000 },
        ],
      },
    ]);
    expect(d.footer).toMatchObject({ eventCount: 5, lastSeq: 5, sealedAtMs: FIXED_MS + 2000 });
    expect(d.lastSeq).toBe(5);
    expect(d.torn).toBeNull();
    expect(d.validLength).toBe(bytes().length);
  });

  it('matches the spec byte by byte: offsets, magics, little-endian integers, what each BLAKE3 covers', () => {
    const b = bytes();
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    // Segment header, fixed part.
    expect(text(b.subarray(0, 4))).toBe('TDWS');
    expect(v.getUint16(4, true)).toBe(1);
    expect(v.getUint16(6, true)).toBe(0);
    expect(v.getUint32(8, true)).toBe(GOLDEN_SHARD_ID);
    const metaLength = v.getUint32(12, true);
    expect(v.getBigUint64(16, true)).toBe(1n);
    expect(v.getBigUint64(24, true)).toBe(1n);
    expect(v.getFloat64(32, true)).toBe(FIXED_MS);
    expect(unpack(b.subarray(40, 40 + metaLength))).toEqual({ r: GOLDEN_REGION_ID, h: { d: 3_600_000, t: { like: 600_000 } }, e: 0, b: 1, x: [] });
    // Batches, each followed directly by the next, then the footer. Payload v3: msgpack [ids, types, items, columns];
    // the columns are tags, then per signal its id index, weight and time (docs/wal-format.md).
    const f32 = (x: number) => [...new Uint8Array(new Float32Array([x]).buffer)];
    const expected = [
      {
        first: 1n, last: 2n, count: 2, at: FIXED_MS,
        parts: [[], [], [['a', 'Hello tidal world', { lang: 'en', n: 7 }], ['b', 'second item', null]]],
        columns: [0, 0], // two item events
      },
      {
        first: 3n, last: 5n, count: 3, at: FIXED_MS + 1000,
        parts: [[0, 'a', 0, 'b'], ['view', 'like'], []],
        columns: [
          1, 2, 1, // tags: view, like, view
          0, 1, 0, // ids: a, b, a
          ...varintBytes(zigzag(1) * 2), 1, ...f32(2.5), 1, ...f32(-0.5), // weights: a small int, then two exact f32s
          ...varintBytes(zigzag(FIXED_MS) * 2), ...varintBytes(zigzag(-600_000) * 2), ...varintBytes(zigzag(-3_000_000) * 2), // times: deltas from 0
        ],
      },
    ];
    let at = 40 + metaLength;
    for (const e of expected) {
      expect(text(b.subarray(at, at + 4))).toBe('TDWB');
      expect(v.getUint16(at + 4, true)).toBe(3);
      expect(v.getUint16(at + 6, true)).toBe(0);
      expect(v.getUint32(at + 8, true)).toBe(GOLDEN_SHARD_ID);
      expect(v.getUint32(at + 12, true)).toBe(e.count);
      expect(v.getBigUint64(at + 16, true)).toBe(e.first);
      expect(v.getBigUint64(at + 24, true)).toBe(e.last);
      expect(v.getFloat64(at + 32, true)).toBe(e.at);
      const payloadLength = v.getUint32(at + 40, true);
      const payload = b.subarray(at + 76, at + 76 + payloadLength);
      expect(Buffer.from(b.subarray(at + 44, at + 76))).toEqual(Buffer.from(blake3Digest(payload)));
      const [ids, types, items, columns] = unpack(payload) as [unknown, unknown, unknown, Uint8Array];
      expect([ids, types, items]).toEqual(e.parts);
      expect([...columns]).toEqual(e.columns);
      at += 76 + payloadLength;
    }
    // Footer: fields, then BLAKE3 of every byte before the checksum field.
    expect(at).toBe(b.length - 56);
    expect(text(b.subarray(at, at + 4))).toBe('TDWF');
    expect(v.getUint32(at + 4, true)).toBe(5);
    expect(v.getBigUint64(at + 8, true)).toBe(5n);
    expect(v.getFloat64(at + 16, true)).toBe(FIXED_MS + 2000);
    expect(Buffer.from(b.subarray(at + 24))).toEqual(Buffer.from(blake3Digest(b.subarray(0, at + 24))));
  });

  it('each encoder on its own reproduces its region of the committed bytes', () => {
    const b = bytes();
    const d = decodeSegment(b, 'test/golden/segment.hex', 'sealed');
    const footerAt = b.length - FOOTER_BYTES;
    expect(Buffer.from(encodeSegmentHeader(d.header))).toEqual(Buffer.from(b.subarray(0, d.batches[0]!.offset)));
    d.batches.forEach((batch, i) => {
      const end = d.batches[i + 1]?.offset ?? footerAt;
      expect(Buffer.from(encodeBatch(d.header.shardId, batch.events, batch.committedAtMs))).toEqual(Buffer.from(b.subarray(batch.offset, end)));
      // A reader written from the spec alone reads the same events.
      expect(eventsBySpec(b.subarray(batch.offset + BATCH_HEADER_BYTES, end), batch.firstSeq, batch.eventCount)).toEqual(batch.events);
    });
    const footer = encodeSegmentFooter(d.footer!, createHasher().update(b.subarray(0, footerAt)));
    expect(Buffer.from(footer)).toEqual(Buffer.from(b.subarray(footerAt)));
  });
});

describe('golden checkpoint (test/golden/checkpoint.hex)', () => {
  const segment = () => decodeSegment(parseHexDump(fs.readFileSync(SEGMENT_HEX, 'utf8')), 'test/golden/segment.hex', 'sealed');

  it('the encoder writes exactly the committed bytes', () => {
    const actual = checkpointDump(encodeCheckpoint(stateOf(segment()), GOLDEN_SHARD_ID, GOLDEN_REGION_ID, 2));
    expect(actual).toBe(golden(CHECKPOINT_HEX, actual));
  });

  it('decodes to the state of the golden segment, and matches the spec byte by byte', () => {
    const b = parseHexDump(fs.readFileSync(CHECKPOINT_HEX, 'utf8'));
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(text(b.subarray(0, 4))).toBe('TDCK');
    expect(v.getUint16(4, true)).toBe(3);
    expect(v.getUint16(6, true)).toBe(0);
    expect(v.getUint32(8, true)).toBe(GOLDEN_SHARD_ID);
    expect(v.getUint32(12, true)).toBe(b.length - 56);
    expect(v.getBigUint64(16, true)).toBe(5n);
    const body = b.subarray(56);
    expect(Buffer.from(b.subarray(24, 56))).toEqual(Buffer.from(createHasher().update(b.subarray(0, 24)).update(body).digest()));
    expect(unpack(body)).toEqual({
      region: GOLDEN_REGION_ID,
      halfLives: { defaultMs: GOLDEN_HALF_LIVES.defaultMs, byType: [['like', GOLDEN_HALF_LIVES.byType.like]] },
      // [type, half-life, [[item, value, value's time]]]: 'a' got 1 at FIXED_MS and -0.5 one half-life before.
      ledger: [
        ['view', 3_600_000, [['a', 0.75, FIXED_MS]]],
        ['like', 600_000, [['b', 2.5, FIXED_MS - 600_000]]],
      ],
      items: [['a', 'Hello tidal world', { lang: 'en', n: 7 }], ['b', 'second item', null]],
      epoch: 0,
      epochStartSeq: 1,
      epochHistory: [],
      nextSegmentId: 2, // the golden segment was segment 1
    });
    expectGoldenState(decodeCheckpoint(b, GOLDEN_SHARD_ID, 'test/golden/checkpoint.hex'));
  });

  it('a version 2 checkpoint (masses relative to a per-type reference time, types as map keys) still decodes to the same state', () => {
    const b = parseHexDump(fs.readFileSync(CHECKPOINT_V2_HEX, 'utf8'));
    expect(new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(4, true)).toBe(2);
    expectGoldenState(decodeCheckpoint(b, GOLDEN_SHARD_ID, 'test/golden/checkpoint-v2.hex'));
  });

  function expectGoldenState(state: DbState): void {
    expect(state.appliedSeq).toBe(5);
    expect(state.halfLives).toEqual({ defaultMs: GOLDEN_HALF_LIVES.defaultMs, byType: new Map([['like', GOLDEN_HALF_LIVES.byType.like]]) });
    expect(state.epoch).toBe(0);
    expect(state.items.get('a')).toEqual({ id: 'a', text: 'Hello tidal world', fields: { lang: 'en', n: 7 } });
    expect(state.items.get('b')).toEqual({ id: 'b', text: 'second item', fields: null });
    expect(state.ledger.score('a', 'view', FIXED_MS)).toBe(0.75);
    expect(state.ledger.score('b', 'like', FIXED_MS)).toBe(1.25);
  }
});
