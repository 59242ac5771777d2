/**
 * The golden file of batch format v3's codes (test/golden/segment-columns.hex):
 * a batch built by the real write path that uses every column code (see
 * fixtures/goldenColumnsSegment.ts). The encoder must reproduce it byte for
 * byte, the decoder must read back exactly what was written, and a reader
 * written from the spec alone (fixtures/columnarSpec.ts) must agree with
 * both, code by code.
 *
 * Regenerate (only with a deliberate format change, together with the spec):
 * UPDATE_GOLDEN=1 npx vitest run test/wal/goldenColumns.test.ts
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Checksum } from '../../src/checksum.js';
import { BATCH_HEADER_BYTES, encodeBatch } from '../../src/wal/batch.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { segmentFileName } from '../../src/wal/segmentStore.js';
import { readPayloadBySpec } from './fixtures/columnarSpec.js';
import { buildGoldenColumnsSegment, COLUMNS_BATCH_1, COLUMNS_BATCH_2, COLUMNS_MS, COLUMNS_SHARD_ID } from './fixtures/goldenColumnsSegment.js';
import { formatHexDump, parseHexDump } from './fixtures/hexDump.js';
import { segmentRegions } from './fixtures/segmentRegions.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const HEX = fileURLToPath(new URL('../golden/segment-columns.hex', import.meta.url));
const WHERE = 'test/golden/segment-columns.hex';

function dump(bytes: Uint8Array): string {
  const decoded = decodeSegment(bytes, WHERE, 'sealed');
  return formatHexDump([
    `${segmentFileName(COLUMNS_SHARD_ID, 1)} as written by test/wal/fixtures/goldenColumnsSegment.ts: every code of batch format v3.`,
    'Pinned by test/wal/goldenColumns.test.ts (regenerate with UPDATE_GOLDEN=1); the layout is in docs/wal-format.md.',
    `${bytes.length} bytes; BLAKE3-256 of all of them (WalSegmentPayload.checksum): ${Checksum.of(bytes).toHex()}`,
  ], bytes, segmentRegions(decoded, bytes.length));
}

const committed = () => parseHexDump(fs.readFileSync(HEX, 'utf8'));

describe('golden v3 columns segment (test/golden/segment-columns.hex)', () => {
  it('the write path writes exactly the committed bytes', async () => {
    const actual = dump((await buildGoldenColumnsSegment()).bytes);
    if (UPDATE) fs.writeFileSync(HEX, actual);
    expect(actual).toBe(fs.readFileSync(HEX, 'utf8'));
  });

  it('decodes to exactly the events written, seqnos implicit', () => {
    const d = decodeSegment(committed(), WHERE, 'sealed');
    expect(d.batches.map((b) => [b.version, b.firstSeq, b.lastSeq, b.eventCount])).toEqual([[3, 1, 9, 9], [3, 10, 10, 1]]);
    expect(d.batches[0]!.events).toEqual(COLUMNS_BATCH_1);
    expect(d.batches[1]!.events).toEqual(COLUMNS_BATCH_2);
  });

  it('uses every code: front-coded ids (no surrogate pair split), types by first use, int/f32/f64 weights, delta/f64 times', () => {
    const b = committed();
    const d = decodeSegment(b, WHERE, 'sealed');
    const first = d.batches[0]!;
    const payload = b.subarray(first.offset + BATCH_HEADER_BYTES, d.batches[1]!.offset);
    const spec = readPayloadBySpec(payload, first.eventCount);
    expect(spec.ids).toEqual(['item-0001234', 'item-0001239', 'item-0001302', 'ключ-😀', 'ключ-😁']);
    expect(spec.types).toEqual(['view', 'like', 'share']);
    expect(spec.tags).toEqual([1, 1, 0, 2, 3, 1, 1, 2, 0]);
    expect(spec.idIndexes).toEqual([0, 1, 2, 3, 4, 0, 0]);
    expect(spec.weights.map((w) => w.code)).toEqual(['int', 'int', 'f32', 'f64', 'f32', 'f64', 'int']);
    expect(spec.times.map((t) => t.code)).toEqual(['delta', 'delta', 'delta', 'f64', 'f64', 'f64', 'delta']);
    expect(spec.items).toEqual([['item-0001239', 'café ☕', { tags: ['a'], n: 1.5 }], ['z', null, null]]);
    // The second batch starts its times from 0 again: its payload holds no reference to the first.
    const second = readPayloadBySpec(b.subarray(d.batches[1]!.offset + BATCH_HEADER_BYTES, b.length - 56), 1);
    expect(second.times).toEqual([{ code: 'delta', value: COLUMNS_MS }]);
  });

  it('the front-coded dictionary stores shared lengths in UTF-16 code units, backing off a split surrogate pair', async () => {
    const { unpack } = await import('msgpackr');
    const b = committed();
    const d = decodeSegment(b, WHERE, 'sealed');
    const [ids] = unpack(b.subarray(d.batches[0]!.offset + BATCH_HEADER_BYTES, d.batches[1]!.offset)) as [unknown[]];
    // 'ключ-😀' and 'ключ-😁' share 6 code units, the 6th a high surrogate: only 5 are shared, so the rest is whole.
    expect(ids).toEqual([0, 'item-0001234', 11, '9', 9, '302', 0, 'ключ-😀', 5, '😁']);
  });

  it('each batch re-encodes to its committed bytes', () => {
    const b = committed();
    const d = decodeSegment(b, WHERE, 'sealed');
    d.batches.forEach((batch, i) => {
      const end = d.batches[i + 1]?.offset ?? b.length - 56;
      expect(Buffer.from(encodeBatch(COLUMNS_SHARD_ID, batch.events, batch.committedAtMs))).toEqual(Buffer.from(b.subarray(batch.offset, end)));
    });
  });
});
