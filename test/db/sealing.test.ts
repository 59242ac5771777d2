/**
 * Sealing the WAL: a segment seals once it reaches wal.maxSegmentBytes, or
 * on db.wal.seal(); sealing an empty active segment is a no-op; sealed$
 * emits every newly sealed segment; sealedSegmentsSince(seq) yields, in
 * order, the sealed segments holding events after seq; a payload's checksum
 * is the BLAKE3-256 of exactly its bytes; and memory and file stores produce
 * the same bytes for the same writes and clock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { blake3 } from '@noble/hashes/blake3.js';
import { describe, expect, it } from 'vitest';
import { TidalDb, type WalSegmentPayload } from '../../src/index.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { segmentFileName } from '../../src/wal/segmentStore.js';
import { FOOTER_BYTES } from '../../src/wal/segmentFooter.js';
import { tempDir } from './tempDirs.js';

const BASE_MS = 1_700_000_000_000;
const MAX_SEGMENT_BYTES = 2048;

/** A clock that moves 7 ms on every call, so any difference in when it is read shows in the bytes. */
function steppingClock(): () => number {
  let now = BASE_MS;
  return () => (now += 7);
}

async function collect(segments: AsyncIterable<WalSegmentPayload>): Promise<WalSegmentPayload[]> {
  const out: WalSegmentPayload[] = [];
  for await (const s of segments) out.push(s);
  return out;
}

/** Writes `count` signals, one batch each (flush between them), recording what sealed$ emits. */
async function writeOneBatchEach(db: TidalDb, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i++) {
    void db.signal({ itemId: `item-${i % 7}`, type: 'like', weight: 1 + (i % 3), at: BASE_MS + i });
    await db.flush();
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('sealing: a segment seals once it reaches wal.maxSegmentBytes', () => {
  for (const where of ['memory', 'file'] as const) {
    it(`a segment holds at most ${MAX_SEGMENT_BYTES} bytes, footer included, and seals when the next batch would not fit; sealed$ emits each (${where})`, async () => {
      const dir = where === 'file' ? tempDir('seal') : undefined;
      const db = await TidalDb.open({ dir, wal: { maxSegmentBytes: MAX_SEGMENT_BYTES }, clock: steppingClock() });
      const emitted: WalSegmentPayload[] = [];
      db.wal.sealed$.subscribe((p) => emitted.push(p));
      await writeOneBatchEach(db, 120);
      await db.flush();
      const sealed = await collect(db.wal.sealedSegmentsSince(0));
      expect(sealed.length).toBeGreaterThanOrEqual(3);
      expect(emitted.map((p) => p.segmentId)).toEqual(sealed.map((p) => p.segmentId));
      for (const [k, segment] of sealed.entries()) {
        expect(segment.bytes.length).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
        const next = sealed[k + 1];
        if (!next) continue;
        // full: the next segment's first batch would not have fitted in it
        const nextDecoded = decodeSegment(next.bytes, `segment ${next.segmentId}`, 'sealed');
        const firstBatchBytes = (nextDecoded.batches[1]?.offset ?? next.bytes.length - FOOTER_BYTES) - nextDecoded.batches[0]!.offset;
        expect(segment.bytes.length + firstBatchBytes).toBeGreaterThan(MAX_SEGMENT_BYTES);
      }
      expect(db.wal.activeBytes).toBeLessThan(MAX_SEGMENT_BYTES);
      await db.close();
    });
  }

  it('segments cover every seqno once, in order: each starts where the previous ended', async () => {
    const db = await TidalDb.open({ wal: { maxSegmentBytes: MAX_SEGMENT_BYTES }, clock: steppingClock() });
    await writeOneBatchEach(db, 100);
    await db.wal.seal();
    const sealed = await collect(db.wal.sealedSegmentsSince(0));
    expect(sealed[0]!.firstSeq).toBe(1);
    for (let i = 1; i < sealed.length; i++) expect(sealed[i]!.firstSeq).toBe(sealed[i - 1]!.lastSeq + 1);
    expect(sealed[sealed.length - 1]!.lastSeq).toBe(100);
    await db.close();
  });
});

describe('sealing: db.wal.seal() seals the active segment', () => {
  it('resolves with the sealed segment, which sealed$ emits and sealedSegmentsSince lists', async () => {
    const db = await TidalDb.open({ clock: steppingClock() });
    const emitted: WalSegmentPayload[] = [];
    db.wal.sealed$.subscribe((p) => emitted.push(p));
    for (let i = 0; i < 5; i++) void db.signal({ itemId: 'a', type: 'like', at: BASE_MS });
    const sealed = await db.wal.seal();
    expect(sealed).not.toBeNull();
    expect(sealed!.firstSeq).toBe(1);
    expect(sealed!.lastSeq).toBe(5);
    expect(sealed!.shardId).toBe(0);
    expect(emitted).toEqual([sealed]);
    expect(await collect(db.wal.sealedSegmentsSince(0))).toEqual([sealed]);
    expect(db.wal.unsealedEvents).toBe(0);
    await db.signal({ itemId: 'a', type: 'like', at: BASE_MS });
    const next = await db.wal.seal();
    expect(next!.segmentId).toBeGreaterThan(sealed!.segmentId);
    expect([next!.firstSeq, next!.lastSeq]).toEqual([6, 6]);
    await db.close();
  });

  it('a file-backed seal leaves the sealed bytes in its segment file', async () => {
    const dir = tempDir('seal');
    const db = await TidalDb.open({ dir, clock: steppingClock() });
    await db.signal({ itemId: 'a', type: 'like', at: BASE_MS });
    const sealed = (await db.wal.seal())!;
    expect(hex(fs.readFileSync(path.join(dir, segmentFileName(0, sealed.segmentId))))).toBe(hex(sealed.bytes));
    await db.close();
  });
});

describe('sealing: sealing an empty active segment is a no-op', () => {
  for (const where of ['memory', 'file'] as const) {
    it(`seal() with nothing written, or nothing since the last seal, resolves null and emits nothing (${where})`, async () => {
      const db = await TidalDb.open({ dir: where === 'file' ? tempDir('seal') : undefined, clock: steppingClock() });
      const emitted: WalSegmentPayload[] = [];
      db.wal.sealed$.subscribe((p) => emitted.push(p));
      expect(await db.wal.seal()).toBeNull();
      expect(emitted).toEqual([]);
      await db.signal({ itemId: 'a', type: 'like', at: BASE_MS });
      expect(await db.wal.seal()).not.toBeNull();
      expect(await db.wal.seal()).toBeNull();
      expect(await db.wal.seal()).toBeNull();
      expect(emitted).toHaveLength(1);
      expect(db.wal.sealedSegments).toHaveLength(1);
      await db.close();
    });
  }

  it('reopening a directory with an empty unsealed tail and sealing resolves null', async () => {
    const dir = tempDir('seal');
    const db = await TidalDb.open({ dir, clock: steppingClock() });
    await db.signal({ itemId: 'a', type: 'like', at: BASE_MS });
    await db.wal.seal();
    await db.close();
    const reopened = await TidalDb.open({ dir, clock: steppingClock() });
    const emitted: WalSegmentPayload[] = [];
    reopened.wal.sealed$.subscribe((p) => emitted.push(p));
    expect(await reopened.wal.seal()).toBeNull();
    expect(emitted).toEqual([]);
    await reopened.close();
  });
});

describe('sealing: sealedSegmentsSince(seq) yields, in order, only segments holding events after seq', () => {
  it('for every seq from 0 past the end, yields exactly the segments whose lastSeq > seq, oldest first', async () => {
    const db = await TidalDb.open({ wal: { maxSegmentBytes: MAX_SEGMENT_BYTES }, clock: steppingClock() });
    await writeOneBatchEach(db, 90);
    await db.wal.seal();
    const all = await collect(db.wal.sealedSegmentsSince(0));
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (let seq = 0; seq <= 92; seq++) {
      const got = await collect(db.wal.sealedSegmentsSince(seq));
      expect(got.map((s) => s.segmentId)).toEqual(all.filter((s) => s.lastSeq > seq).map((s) => s.segmentId));
    }
    await db.close();
  });

  it('unsealed events are not yielded until their segment seals', async () => {
    const db = await TidalDb.open({ clock: steppingClock() });
    await db.signal({ itemId: 'a', type: 'like', at: BASE_MS });
    expect(await collect(db.wal.sealedSegmentsSince(0))).toEqual([]);
    await db.wal.seal();
    expect(await collect(db.wal.sealedSegmentsSince(0))).toHaveLength(1);
    await db.close();
  });

  it('a file-backed database reopened lists the same sealed segments, read back from disk (history kept: retainSegments)', async () => {
    const dir = tempDir('seal');
    const db = await TidalDb.open({ dir, wal: { maxSegmentBytes: MAX_SEGMENT_BYTES, retainSegments: 1_000 }, clock: steppingClock() });
    await writeOneBatchEach(db, 60);
    await db.wal.seal();
    const before = await collect(db.wal.sealedSegmentsSince(10));
    await db.close();
    const reopened = await TidalDb.open({ dir, clock: steppingClock() });
    const after = await collect(reopened.wal.sealedSegmentsSince(10));
    expect(after.map((s) => [s.segmentId, s.firstSeq, s.lastSeq, hex(s.bytes), s.checksum.toHex()])).toEqual(
      before.map((s) => [s.segmentId, s.firstSeq, s.lastSeq, hex(s.bytes), s.checksum.toHex()]),
    );
    await reopened.close();
  });
});

describe('sealing: a payload checksum is the BLAKE3-256 of exactly its bytes', () => {
  for (const where of ['memory', 'file'] as const) {
    it(`every sealed payload's checksum equals @noble/hashes blake3(bytes) (${where})`, async () => {
      const db = await TidalDb.open({ dir: where === 'file' ? tempDir('seal') : undefined, wal: { maxSegmentBytes: MAX_SEGMENT_BYTES }, clock: steppingClock() });
      const emitted: WalSegmentPayload[] = [];
      db.wal.sealed$.subscribe((p) => emitted.push(p));
      await writeOneBatchEach(db, 50);
      await db.wal.seal();
      const listed = await collect(db.wal.sealedSegmentsSince(0));
      expect(listed.length).toBeGreaterThanOrEqual(2);
      for (const p of [...emitted, ...listed]) {
        const digest = blake3(p.bytes);
        expect(digest).toHaveLength(32);
        expect(p.checksum.toHex()).toBe(hex(digest));
        expect(p.checksum.matches(p.bytes)).toBe(true);
        const flipped = Uint8Array.from(p.bytes);
        flipped[flipped.length >> 1]! ^= 1;
        expect(p.checksum.toHex()).not.toBe(hex(blake3(flipped)));
      }
      await db.close();
    });
  }
});

describe('sealing: in-memory and file-backed databases produce identical segment bytes for the same writes and clock', () => {
  it('same writes, flushes, seals and clock: byte-identical segments (and files holding those bytes)', async () => {
    const dir = tempDir('identical');
    const memory = await TidalDb.open({ wal: { maxSegmentBytes: MAX_SEGMENT_BYTES }, halfLifeMs: { like: 1_000, '*': 9_000 }, clock: steppingClock() });
    const file = await TidalDb.open({ dir, wal: { maxSegmentBytes: MAX_SEGMENT_BYTES }, halfLifeMs: { like: 1_000, '*': 9_000 }, clock: steppingClock() });
    for (const db of [memory, file]) {
      for (let round = 0; round < 24; round++) {
        for (let i = 0; i < round + 1; i++) void db.signal({ itemId: `i${(round * 5 + i) % 9}`, type: round % 2 ? 'like' : 'view', weight: i - 1 });
        void db.writeItem({ id: `i${round % 9}`, text: `Café round ${round}`, fields: { round, tags: ['a', 'b'] } });
        await db.flush();
        if (round % 5 === 4) await db.wal.seal();
      }
      await db.wal.seal();
    }
    const m = await collect(memory.wal.sealedSegmentsSince(0));
    const f = await collect(file.wal.sealedSegmentsSince(0));
    expect(m.length).toBeGreaterThanOrEqual(4);
    expect(f.map((s) => [s.segmentId, s.firstSeq, s.lastSeq, s.sealedAtMs, hex(s.bytes), s.checksum.toHex()])).toEqual(
      m.map((s) => [s.segmentId, s.firstSeq, s.lastSeq, s.sealedAtMs, hex(s.bytes), s.checksum.toHex()]),
    );
    // The default layout keeps several segments to a file, back to back: the files are the segments, concatenated.
    const files = fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
    expect(hex(Buffer.concat(files.map((n) => fs.readFileSync(path.join(dir, n)))))).toBe(hex(Buffer.concat(m.map((s) => s.bytes))));
    await memory.close();
    await file.close();
  });
});
