/**
 * applySegment on a follower (the replication apply path): sealed segments
 * from a leader reproduce its reads exactly; re-applying is a no-op; a gap,
 * a corrupted byte or conflicting configuration is refused and changes
 * nothing; an overlapping segment applies only the events past the
 * follower's high-water mark.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checksum, TidalDb, TidalError, WalError, type WalSegmentPayload } from '../../src/index.js';
import { observe } from './stateSnapshot.js';
import { tempDir } from './tempDirs.js';

const BASE_MS = 1_700_000_000_000;
const HALF_LIVES = { like: 60_000, '*': 900_000 };
const ITEMS = Array.from({ length: 9 }, (_, i) => `item-${i}`);
const view = {
  itemIds: ITEMS,
  types: ['like', 'view'],
  times: [BASE_MS, BASE_MS + 120_000, BASE_MS + 86_400_000],
  queries: ['tide', 'café ÉCOLE', '42'],
};

/** A clock that moves 3 ms per call: two leaders fed the same calls stay byte-identical. */
function steppingClock(): () => number {
  let now = BASE_MS;
  return () => (now += 3);
}

/** Event k (1-based) of the scripted leader workload. */
async function writeEvent(db: TidalDb, k: number): Promise<void> {
  const id = ITEMS[(k * 4) % ITEMS.length]!;
  if (k % 3 === 0) await db.writeItem({ id, text: `tide ${k % 2 ? 'café' : 'ÉCOLE'} ${k % 5 ? 42 : 7} café école`, fields: { k } });
  else await db.signal({ itemId: id, type: k % 2 ? 'like' : 'view', weight: (k % 4) - 1, at: BASE_MS - ((k * 104_729) % 600_000) });
}

/** A leader that wrote events 1..n and sealed after each seqno in `sealAfter` (and at n). */
async function leader(n: number, sealAfter: readonly number[]): Promise<{ db: TidalDb; segments: WalSegmentPayload[] }> {
  const db = await TidalDb.open({ halfLifeMs: HALF_LIVES, clock: steppingClock() });
  const segments: WalSegmentPayload[] = [];
  db.wal.sealed$.subscribe((s) => segments.push(s));
  for (let k = 1; k <= n; k++) {
    await writeEvent(db, k);
    if (sealAfter.includes(k) || k === n) await db.wal.seal();
  }
  return { db, segments };
}

function listing(dir: string): Record<string, number> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.statSync(path.join(dir, f)).size]));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function corrupt(p: WalSegmentPayload, offset: number, recomputeChecksum: boolean): WalSegmentPayload {
  const bytes = Uint8Array.from(p.bytes);
  bytes[offset]! ^= 0x10;
  return { ...p, bytes, checksum: recomputeChecksum ? Checksum.of(bytes) : p.checksum };
}

for (const where of ['memory', 'file'] as const) {
  const openFollower = async (options: Record<string, unknown> = {}) => {
    const dir = where === 'file' ? tempDir('follower') : undefined;
    const db = await TidalDb.open({ dir, role: 'follower', clock: () => BASE_MS, ...options });
    return { db, dir };
  };

  describe(`applySegment reproduces the leader's retrieve, search and readDecayScore exactly (${where} follower)`, () => {
    it('after applying every sealed segment in order, every read equals the leader', async () => {
      const { db: lead, segments } = await leader(40, [7, 15, 30]);
      const { db: follower } = await openFollower();
      for (const s of segments) {
        const r = await follower.applySegment(s);
        expect([r.appliedEvents, r.skippedEvents, r.appliedSeq]).toEqual([s.lastSeq - s.firstSeq + 1, 0, s.lastSeq]);
      }
      expect(follower.lastSeq).toBe(40);
      expect(observe(follower, view)).toEqual(observe(lead, view));
      await follower.close();
      await lead.close();
    });

    it('a follower without halfLifeMs adopts the half-lives recorded in the segments', async () => {
      const { db: lead, segments } = await leader(10, []);
      const { db: follower } = await openFollower();
      await follower.applySegment(segments[0]!);
      const item = ITEMS[1]!; // event 7: a 'like' of weight 2 on it
      const now = follower.readDecayScore(item, 'like', BASE_MS);
      expect(now).not.toBe(0);
      expect(follower.readDecayScore(item, 'like', BASE_MS + HALF_LIVES.like) / now).toBeCloseTo(0.5, 12);
      await follower.close();
      await lead.close();
    });

    if (where === 'file') {
      it('the applied segments are durable: the follower reopened reads the same', async () => {
        const { db: lead, segments } = await leader(30, [10, 20]);
        const { db: follower, dir } = await openFollower();
        for (const s of segments) await follower.applySegment(s);
        await follower.close();
        const reopened = await TidalDb.open({ dir, role: 'follower', clock: () => BASE_MS });
        expect(reopened.lastSeq).toBe(30);
        expect(observe(reopened, view)).toEqual(observe(lead, view));
        await reopened.close();
        await lead.close();
      });
    }
  });

  describe(`re-applying a segment is a no-op (${where} follower)`, () => {
    it('the same segment again, or an older one after newer ones: all events skipped, lastSeq and reads unchanged', async () => {
      const { db: lead, segments } = await leader(20, [8]);
      const { db: follower } = await openFollower();
      for (const s of segments) await follower.applySegment(s);
      const before = observe(follower, view);
      for (const s of [segments[1]!, segments[0]!, segments[1]!]) {
        const r = await follower.applySegment(s);
        expect(r.appliedEvents).toBe(0);
        expect(r.skippedEvents).toBe(s.lastSeq - s.firstSeq + 1);
        expect(r.appliedSeq).toBe(20);
        expect(follower.lastSeq).toBe(20);
      }
      expect(observe(follower, view)).toEqual(before);
      expect(follower.metrics.snapshot().gauges['replay.segmentsSkipped']).toBe(3);
      await follower.close();
      await lead.close();
    });
  });

  describe(`a segment that would leave a gap is refused with WalError Gap and changes nothing (${where} follower)`, () => {
    it('applying the second segment first rejects with Gap; the first then applies normally', async () => {
      const { db: lead, segments } = await leader(20, [8]);
      const { db: follower, dir } = await openFollower();
      const before = observe(follower, view);
      const files = dir ? listing(dir) : null;
      const err = await rejection(follower.applySegment(segments[1]!));
      expect(err).toBeInstanceOf(WalError);
      expect((err as WalError).code).toBe('Gap');
      expect((err as WalError).message).toContain('9');
      expect(follower.lastSeq).toBe(0);
      expect(observe(follower, view)).toEqual(before);
      expect(follower.wal.sealedSegments).toHaveLength(0);
      if (dir) expect(listing(dir)).toEqual(files);
      await follower.applySegment(segments[0]!);
      await expect(follower.applySegment(segments[1]!)).resolves.toMatchObject({ appliedSeq: 20 });
      expect(observe(follower, view)).toEqual(observe(lead, view));
      await follower.close();
      await lead.close();
    });
  });

  describe(`a corrupted byte is refused with WalError Corruption and changes nothing (${where} follower)`, () => {
    for (const recompute of [false, true]) {
      const how = recompute ? 'with a checksum recomputed over the damaged bytes' : 'under the original checksum';
      it(`a flipped byte in the header, a batch or the footer, ${how}, is refused; the intact segment then applies`, async () => {
        const { db: lead, segments } = await leader(12, []);
        const good = segments[0]!;
        const { db: follower, dir } = await openFollower();
        const files = dir ? listing(dir) : null;
        const empty = observe(follower, view);
        // Hash once (issue 9): with the whole checksum recomputed over the damage, the follower checks no batch or
        // footer hash, so it refuses only damage its structure and content checks see (test/wal/hashOnce.test.ts).
        const offsets = recompute ? [2, 30, good.bytes.length - 40] : [2, 30, 60, 200, good.bytes.length - 40, good.bytes.length - 1];
        for (const offset of offsets) {
          const err = await rejection(follower.applySegment(corrupt(good, offset, recompute)));
          expect(err, `byte ${offset}`).toBeInstanceOf(WalError);
          expect((err as WalError).code, `byte ${offset}`).toBe('Corruption');
          expect(follower.lastSeq).toBe(0);
          expect(observe(follower, view)).toEqual(empty);
          expect(follower.wal.sealedSegments).toHaveLength(0);
          if (dir) expect(listing(dir)).toEqual(files);
        }
        await follower.applySegment(good);
        expect(observe(follower, view)).toEqual(observe(lead, view));
        await follower.close();
        await lead.close();
      });
    }
  });

  describe(`an overlapping segment applies only the events after the high-water mark (${where} follower)`, () => {
    it("leader A sealed 1..5 and 6..10, leader B (same writes and clock) 1..3 and 4..10: A's first then B's second applies 6..10 only", async () => {
      const a = await leader(10, [5]);
      const b = await leader(10, [3]);
      expect(a.segments.map((s) => [s.segmentId, s.firstSeq, s.lastSeq])).toEqual([[1, 1, 5], [2, 6, 10]]);
      expect(b.segments.map((s) => [s.segmentId, s.firstSeq, s.lastSeq])).toEqual([[1, 1, 3], [2, 4, 10]]);
      const { db: follower, dir } = await openFollower();
      await follower.applySegment(a.segments[0]!);
      const r = await follower.applySegment(b.segments[1]!);
      expect([r.appliedEvents, r.skippedEvents, r.appliedSeq]).toEqual([5, 2, 10]);
      expect(observe(follower, view)).toEqual(observe(a.db, view));
      const again = await follower.applySegment(a.segments[1]!);
      expect([again.appliedEvents, again.skippedEvents]).toEqual([0, 5]);
      // A segment holding new events must come after the last one stored: B's segment 1 reusing A's id would overwrite it.
      await expect(follower.applySegment(b.segments[0]!)).resolves.toMatchObject({ appliedEvents: 0 });
      expect(observe(follower, view)).toEqual(observe(b.db, view));
      if (dir) {
        await follower.close();
        const reopened = await TidalDb.open({ dir, role: 'follower', clock: () => BASE_MS });
        expect(observe(reopened, view)).toEqual(observe(a.db, view));
        await reopened.close();
      } else {
        await follower.close();
      }
      await a.db.close();
      await b.db.close();
    });
  });

  describe(`configuration recorded in a segment must agree with the follower (${where} follower)`, () => {
    it('conflicting half-lives are refused with ConfigMismatch and nothing is applied', async () => {
      const { db: lead, segments } = await leader(6, []);
      const { db: follower } = await openFollower({ halfLifeMs: 1_000 });
      const err = await rejection(follower.applySegment(segments[0]!));
      expect(err).toBeInstanceOf(TidalError);
      expect((err as TidalError).code).toBe('ConfigMismatch');
      expect(follower.lastSeq).toBe(0);
      expect(follower.wal.sealedSegments).toHaveLength(0);
      await follower.close();
      await lead.close();
    });

    it('a segment of another shard is refused with ConfigMismatch and nothing is applied', async () => {
      const { db: lead, segments } = await leader(6, []);
      const { db: follower } = await openFollower({ shardId: 3 });
      const err = await rejection(follower.applySegment(segments[0]!));
      expect((err as TidalError).code).toBe('ConfigMismatch');
      expect(follower.lastSeq).toBe(0);
      await follower.close();
      await lead.close();
    });
  });
}
