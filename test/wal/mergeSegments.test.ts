/**
 * mergeSegments (pure): a merged segment is an ordinary sealed segment (the
 * format does not change; docs/wal-format.md, "Merging sealed segments").
 */
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { Checksum } from '../../src/checksum.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { mergeSegments } from '../../src/wal/mergeSegments.js';
import { verifyPayload } from '../../src/wal/verifyPayload.js';
import type { WalSegmentPayload } from '../../src/wal/walSegmentPayload.js';

const T0 = 1_767_225_600_000;

/** Sealed segments of an in-memory leader: `perSegment[i]` signals in segment i, in commit groups of 3. */
async function sealedSegments(perSegment: readonly number[], epoch = 0): Promise<WalSegmentPayload[]> {
  let now = T0;
  const db = await TidalDb.open({ clock: () => (now += 7), halfLifeMs: { view: 60_000 } });
  if (epoch > 0) (db as unknown as { core: { state: { epoch: number } } }).core.state.epoch = epoch;
  const out: WalSegmentPayload[] = [];
  let n = 0;
  for (const count of perSegment) {
    for (let i = 0; i < count; i++) {
      void db.signal({ itemId: `item-${n % 7}`, type: 'view', weight: 1 + (n % 3), at: T0 + n });
      n++;
      if (n % 3 === 0) db.wal.flushPending();
    }
    out.push((await db.wal.seal())!);
  }
  await db.close();
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('mergeSegments: a merged segment is a sealed segment', () => {
  it('holds every input batch byte for byte, under the first input header and the last input id, with a new footer', async () => {
    const inputs = await sealedSegments([5, 1, 7, 4]);
    const merged = mergeSegments(inputs.map((p) => p.bytes));
    const decoded = decodeSegment(merged.bytes, 'merged', 'sealed');
    const parts = inputs.map((p) => decodeSegment(p.bytes, `segment ${p.segmentId}`, 'sealed'));
    expect(decoded.header).toEqual({ ...parts[0]!.header, segmentId: inputs[3]!.segmentId });
    expect(decoded.batches.flatMap((b) => b.events)).toEqual(parts.flatMap((d) => d.batches.flatMap((b) => b.events)));
    // Batches copied verbatim: the same bytes, in order.
    const batchBytes = (bytes: Uint8Array, d: ReturnType<typeof decodeSegment>) =>
      d.batches.map((b, i) => hex(bytes.subarray(b.offset, d.batches[i + 1]?.offset ?? bytes.length - 56)));
    expect(batchBytes(merged.bytes, decoded)).toEqual(inputs.flatMap((p, i) => batchBytes(p.bytes, parts[i]!)));
    expect(decoded.footer).toMatchObject({ eventCount: 17, lastSeq: 17, sealedAtMs: inputs[3]!.sealedAtMs });
    expect(merged.info).toMatchObject({
      segmentId: inputs[3]!.segmentId, firstSeq: 1, lastSeq: 17, sealedAtMs: inputs[3]!.sealedAtMs, byteLength: merged.bytes.length,
    });
    expect(merged.info.checksum.equals(Checksum.of(merged.bytes))).toBe(true);
    // What a follower checks of a shipped segment holds too.
    const payload = { shardId: 0, ...merged.info, bytes: merged.bytes };
    expect(() => verifyPayload(payload)).not.toThrow();
  });

  it('is associative: merging merged segments gives the bytes of merging the originals at once', async () => {
    const [a, b, c, d] = (await sealedSegments([3, 4, 2, 6])).map((p) => p.bytes);
    const all = mergeSegments([a!, b!, c!, d!]).bytes;
    expect(hex(mergeSegments([mergeSegments([a!, b!]).bytes, mergeSegments([c!, d!]).bytes]).bytes)).toBe(hex(all));
    expect(hex(mergeSegments([a!, mergeSegments([b!, c!, d!]).bytes]).bytes)).toBe(hex(all));
  });

  it('refuses (a broken invariant) inputs that do not continue one another, or differ in header meta', async () => {
    const [a, b, c] = (await sealedSegments([3, 4, 2])).map((p) => p.bytes);
    expect(() => mergeSegments([a!, c!])).toThrow(/starts at seqno 8, input 0 ends at 3/);
    expect(() => mergeSegments([b!, a!])).toThrow(/invariant violated/);
    expect(() => mergeSegments([a!])).toThrow(/at least two/);
    const [, other] = (await sealedSegments([3, 4], 2)).map((p) => p.bytes);
    expect(() => mergeSegments([a!, other!])).toThrow(/other header meta/);
  });
});
