/**
 * Batch format v2 stays readable (issue 9): test/golden/segment-v2.hex is
 * the golden segment as the write path wrote it before v3 (a msgpack tuple
 * per event), frozen. It must still decode to the same events, the v2
 * writer kept for tests must still reproduce it, and a directory holding it
 * must open, take new (v3) writes, and replicate to a follower:
 *
 * - a sealed v2 segment: recovery replays it, the leader ships it as it is
 *   and a follower applies it, then a v3 segment after it;
 * - an active v2 segment (the same bytes without the footer): the upgraded
 *   node reopens it and appends v3 batches to it, so one segment holds both
 *   versions; recovery reads it, and a follower applies it once sealed;
 * - a merge of a v2 segment with a v3 one (batches copied as they are).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { TidalDb, type WalSegmentPayload } from '../../src/index.js';
import { BATCH_HEADER_BYTES } from '../../src/wal/batch.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { mergeSegments } from '../../src/wal/mergeSegments.js';
import { FOOTER_BYTES } from '../../src/wal/segmentFooter.js';
import { segmentFileName } from '../../src/wal/segmentStore.js';
import { tempDir } from '../db/tempDirs.js';
import { encodeBatchV2 } from './fixtures/encodeBatchV2.js';
import { FIXED_MS, GOLDEN_HALF_LIVES, GOLDEN_REGION_ID, GOLDEN_SHARD_ID } from './fixtures/goldenSegment.js';
import { parseHexDump } from './fixtures/hexDump.js';

const HEX = fileURLToPath(new URL('../golden/segment-v2.hex', import.meta.url));
const WHERE = 'test/golden/segment-v2.hex';
const v2Bytes = () => parseHexDump(fs.readFileSync(HEX, 'utf8'));

const GOLDEN_EVENTS = [
  [
    { kind: 'item', seq: 1, id: 'a', text: 'Hello tidal world', fields: { lang: 'en', n: 7 } },
    { kind: 'item', seq: 2, id: 'b', text: 'second item', fields: null },
  ],
  [
    { kind: 'signal', seq: 3, itemId: 'a', type: 'view', weight: 1, at: FIXED_MS },
    { kind: 'signal', seq: 4, itemId: 'b', type: 'like', weight: 2.5, at: FIXED_MS - 600_000 },
    { kind: 'signal', seq: 5, itemId: 'a', type: 'view', weight: -0.5, at: FIXED_MS - 3_600_000 },
  ],
];

function open(dir: string, role: 'leader' | 'follower' = 'leader'): Promise<TidalDb> {
  return TidalDb.open({
    dir, role, clock: () => FIXED_MS + 5000, shardId: GOLDEN_SHARD_ID, regionId: GOLDEN_REGION_ID,
    halfLifeMs: { '*': GOLDEN_HALF_LIVES.defaultMs, like: GOLDEN_HALF_LIVES.byType.like }, wal: { sync: 'none' },
  });
}

/** What a reader of the golden data (and of the signals written after it) sees. */
function observe(db: TidalDb) {
  return {
    lastSeq: db.lastSeq,
    a: db.readDecayScore('a', 'view', FIXED_MS), b: db.readDecayScore('b', 'like', FIXED_MS),
    c: db.readDecayScore('c', 'view', FIXED_MS), items: [db.getItem('a'), db.getItem('b')],
  };
}

/** Every sealed segment `db` holds, as it would ship them. */
async function sealedOf(db: TidalDb): Promise<WalSegmentPayload[]> {
  const out: WalSegmentPayload[] = [];
  for await (const p of db.wal.sealedSegmentsSince(0)) out.push({ ...p, bytes: Uint8Array.from(p.bytes) });
  return out;
}

const versionsOf = (bytes: Uint8Array) => decodeSegment(bytes, 'segment', 'sealed').batches.map((b) => b.version);

describe('golden v2 segment (test/golden/segment-v2.hex)', () => {
  it('decodes as version 2 batches to the events written', () => {
    const d = decodeSegment(v2Bytes(), WHERE, 'sealed');
    expect(d.batches.map((b) => b.version)).toEqual([2, 2]);
    expect(d.batches.map((b) => b.events)).toEqual(GOLDEN_EVENTS);
    expect(d.footer).toMatchObject({ eventCount: 5, lastSeq: 5, sealedAtMs: FIXED_MS + 2000 });
  });

  it('its payloads are msgpack tuples [seq, kind, ...] and the v2 writer reproduces each batch byte for byte', () => {
    const b = v2Bytes();
    const d = decodeSegment(b, WHERE, 'sealed');
    d.batches.forEach((batch, i) => {
      const end = d.batches[i + 1]?.offset ?? b.length - FOOTER_BYTES;
      expect(new DataView(b.buffer, b.byteOffset).getUint16(batch.offset + 4, true)).toBe(2);
      expect(unpack(b.subarray(batch.offset + BATCH_HEADER_BYTES, end))).toEqual(batch.events.map((e) => (e.kind === 'signal'
        ? [e.seq, 1, e.itemId, e.type, e.weight, e.at] : [e.seq, 2, e.id, e.text, e.fields])));
      expect(Buffer.from(encodeBatchV2(GOLDEN_SHARD_ID, batch.events, batch.committedAtMs))).toEqual(Buffer.from(b.subarray(batch.offset, end)));
    });
  });

  it('the columns a v2 batch turns into apply to the same state as its events', () => {
    const d = decodeSegment(v2Bytes(), WHERE, 'sealed');
    const signals = d.batches[1]!.columns;
    expect([...signals.kinds]).toEqual([1, 1, 1]);
    expect([...signals.itemIndex].map((k) => signals.itemIds[k])).toEqual(['a', 'b', 'a']);
    expect([...signals.weights]).toEqual([1, 2.5, -0.5]);
  });
});

describe('a v2 directory opens and replicates', () => {
  it('a sealed v2 segment: recovery replays it, new writes are v3, and a follower applies both as shipped', async () => {
    const dir = tempDir('v2dir');
    fs.writeFileSync(path.join(dir, segmentFileName(GOLDEN_SHARD_ID, 1)), v2Bytes());
    const leader = await open(dir);
    expect(observe(leader)).toMatchObject({ lastSeq: 5, a: 0.75, b: 1.25 });
    await leader.signal({ itemId: 'c', type: 'view', at: FIXED_MS });
    await leader.wal.seal();
    const shipped = await sealedOf(leader);
    expect(shipped.map((p) => versionsOf(p.bytes))).toEqual([[2, 2], [3]]);
    expect(Buffer.from(shipped[0]!.bytes).equals(Buffer.from(v2Bytes())), 'the v2 segment ships as it is').toBe(true);

    const follower = await open(tempDir('v2follower'), 'follower');
    for (const p of shipped) await follower.applySegment(p);
    expect(observe(follower)).toEqual(observe(leader));
    // A merge copies batches as they are: the old v2 segment and the new v3 one make one mixed segment.
    const merged = mergeSegments(shipped.map((p) => p.bytes));
    expect(versionsOf(merged.bytes)).toEqual([2, 2, 3]);
    const fromMerged = await open(tempDir('v2merged'), 'follower');
    await fromMerged.applySegment({ ...merged.info, shardId: GOLDEN_SHARD_ID, bytes: merged.bytes });
    expect(observe(fromMerged)).toEqual(observe(leader));
    await fromMerged.close();
    const expected = observe(leader);
    await leader.close();
    await follower.close();

    const reopened = await open(dir);
    expect(observe(reopened)).toEqual(expected);
    await reopened.close();
  });

  it('an active v2 segment: the upgraded node appends v3 batches to it; recovery and a follower read the mixed segment', async () => {
    const dir = tempDir('v2active');
    const sealed = v2Bytes();
    fs.writeFileSync(path.join(dir, segmentFileName(GOLDEN_SHARD_ID, 1)), sealed.subarray(0, sealed.length - FOOTER_BYTES));
    const leader = await open(dir);
    expect(leader.lastSeq).toBe(5);
    await leader.signal({ itemId: 'c', type: 'view', weight: 2, at: FIXED_MS });
    await leader.close(); // the segment stays active: a reopen must read v2 and v3 batches in one file
    const again = await open(dir);
    expect(observe(again)).toMatchObject({ lastSeq: 6, c: 2 });
    await again.wal.seal();
    const [mixed] = await sealedOf(again);
    expect(versionsOf(mixed!.bytes)).toEqual([2, 2, 3]);

    const follower = await open(tempDir('v2activeFollower'), 'follower');
    await follower.applySegment(mixed!);
    expect(observe(follower)).toEqual(observe(again));
    await follower.close();
    await again.close();
  });
});
