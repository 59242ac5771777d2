/**
 * Recovery from real files: a torn tail, a flipped bit in a sealed segment,
 * a missing segment, a damaged checkpoint, and checkpoint + replay giving
 * the same state as the WAL alone. Every test works in its own directory
 * under os.tmpdir(), removed afterwards; damage is done to the files
 * themselves, between a close and the next open.
 *
 * `close()` writes a checkpoint. Where a test is about replaying the WAL it
 * deletes the *.checkpoint files, so open has only the segments to go by.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TidalDb, WalError } from '../../src/index.js';
import { decodeCheckpoint } from '../../src/db/checkpoint.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { encodeSegmentHeader } from '../../src/wal/segmentHeader.js';
import { FOOTER_BYTES } from '../../src/wal/segmentFooter.js';
import { checkpointFileName, segmentFileName } from '../../src/wal/segmentStore.js';
import type { WalOptions } from '../../src/db/options.js';
import { snapshotOf, WORKLOAD_CLOCK_MS, WORKLOAD_HALF_LIFE_MS, writeNext } from './fixtures/workload.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-recovery-'));
  dirs.push(dir);
  return dir;
}

/** History kept (retainSegments): these tests damage and inspect sealed segments a checkpoint covers. */
function open(dir: string, wal: WalOptions = {}): Promise<TidalDb> {
  return TidalDb.open({ dir, clock: () => WORKLOAD_CLOCK_MS, halfLifeMs: WORKLOAD_HALF_LIFE_MS, wal: { sync: 'fsync', retainSegments: 10_000, packSegments: false, ...wal } });
}

/** Writes `batches` commit groups of `perBatch` events each: one WAL batch per group. */
async function writeBatches(db: TidalDb, batches: number, perBatch: number): Promise<void> {
  for (let b = 0; b < batches; b++) await Promise.all(Array.from({ length: perBatch }, () => writeNext(db)));
}

/** The snapshot of an in-memory database holding the workload's seqnos 1..lastSeq. */
async function reference(lastSeq: number) {
  const db = await TidalDb.open({ clock: () => WORKLOAD_CLOCK_MS, halfLifeMs: WORKLOAD_HALF_LIFE_MS });
  const acks: Array<Promise<number>> = [];
  while (db.lastSeq < lastSeq) acks.push(writeNext(db));
  await Promise.all(acks);
  const snapshot = snapshotOf(db);
  await db.close();
  return snapshot;
}

const names = (dir: string, ext: string) => fs.readdirSync(dir).filter((n) => n.endsWith(ext)).sort();
const deleteCheckpoints = (dir: string) => names(dir, '.checkpoint').forEach((n) => fs.rmSync(path.join(dir, n)));

function flipBit(file: string, offset: number, bit = 0): void {
  const bytes = fs.readFileSync(file);
  bytes[offset]! ^= 1 << bit;
  fs.writeFileSync(file, bytes);
}

async function openFailure(dir: string): Promise<WalError> {
  const err = await open(dir).then(
    async (db) => {
      await db.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err, 'TidalDb.open should have rejected').toBeInstanceOf(WalError);
  return err as WalError;
}

describe('a torn tail in the active segment', () => {
  /** Three batches of four (seqnos 1..12) in one active segment, the checkpoint removed. */
  async function activeSegment(dir: string) {
    const db = await open(dir);
    await writeBatches(db, 3, 4);
    await db.close();
    deleteCheckpoints(dir);
    const [file] = names(dir, '.wal');
    const bytes = fs.readFileSync(path.join(dir, file!));
    const decoded = decodeSegment(bytes, file!, 'active');
    expect(decoded.batches.map((b) => [b.firstSeq, b.lastSeq])).toEqual([[1, 4], [5, 8], [9, 12]]);
    return { file: file!, path: path.join(dir, file!), length: bytes.length, lastBatch: decoded.batches[2]! };
  }

  /** After the torn tail is cut off: new writes land, and both checkpoint and WAL alone give everything back. */
  async function continuesAfterRecovery(dir: string, db: TidalDb, recoveredSeq: number): Promise<void> {
    await writeBatches(db, 2, 3);
    expect(db.lastSeq).toBe(recoveredSeq + 6);
    await db.close();
    const expected = await reference(recoveredSeq + 6);
    const withCheckpoint = await open(dir);
    expect(withCheckpoint.recovery.tornTail).toBeNull();
    expect(snapshotOf(withCheckpoint)).toEqual(expected);
    await withCheckpoint.close();
    deleteCheckpoints(dir);
    const walOnly = await open(dir);
    expect(walOnly.recovery).toMatchObject({ tornTail: null, checkpointSeq: 0, eventsReplayed: recoveredSeq + 6 });
    expect(snapshotOf(walOnly)).toEqual(expected);
    await walOnly.close();
  }

  it('a last batch cut in half is cut off and reported; the log continues from the batch before', async () => {
    const dir = tempDir();
    const seg = await activeSegment(dir);
    const cut = seg.lastBatch.offset + Math.floor((seg.length - seg.lastBatch.offset) / 2);
    fs.truncateSync(seg.path, cut);

    const db = await open(dir);
    expect(db.recovery.tornTail).toEqual({
      file: seg.file, offset: seg.lastBatch.offset, discardedBytes: cut - seg.lastBatch.offset, reason: expect.stringContaining(seg.file),
    });
    expect(db.recovery.lastSeq).toBe(8);
    expect(db.lastSeq).toBe(8);
    expect(fs.statSync(seg.path).size).toBe(seg.lastBatch.offset);
    expect(snapshotOf(db)).toEqual(await reference(8));
    await continuesAfterRecovery(dir, db, 8);
  });

  it('garbage after the last batch is cut off; every batch is kept', async () => {
    const dir = tempDir();
    const seg = await activeSegment(dir);
    const garbage = Buffer.from(Array.from({ length: 37 }, (_, i) => (i * 131 + 7) & 0xff));
    fs.appendFileSync(seg.path, garbage);

    const db = await open(dir);
    expect(db.recovery.tornTail).toMatchObject({ file: seg.file, offset: seg.length, discardedBytes: garbage.length });
    expect(db.lastSeq).toBe(12);
    expect(fs.statSync(seg.path).size).toBe(seg.length);
    await continuesAfterRecovery(dir, db, 12);
  });

  it('a damaged batch followed by an intact one is Corruption, not a tear: nothing is cut off', async () => {
    const dir = tempDir();
    const seg = await activeSegment(dir);
    const middle = decodeSegment(fs.readFileSync(seg.path), seg.file, 'active').batches[1]!;
    flipBit(seg.path, middle.offset); // the batch magic: the header no longer says where the next batch is
    const err = await openFailure(dir);
    expect(err.code).toBe('Corruption');
    expect(err.message).toContain(`${seg.file}: bad batch magic at offset ${middle.offset}`);
    expect(fs.statSync(seg.path).size).toBe(seg.length);
  });

  it('a torn tail the checkpoint already covers: what is left is sealed, and writes continue after the checkpoint', async () => {
    // The checkpoint (seqno 12) is ahead of the log's intact end (seqno 8): sync 'none' after a power loss,
    // or a damaged tail. The active segment cannot take seqno 13, so open seals it as it stands.
    const dir = tempDir();
    const db = await open(dir);
    await writeBatches(db, 3, 4);
    await db.close();
    expect(names(dir, '.checkpoint')).toEqual([checkpointFileName(0, 12)]);
    const file = segmentFileName(0, 1);
    const seg = { file, path: path.join(dir, file), lastBatch: decodeSegment(fs.readFileSync(path.join(dir, file)), file, 'active').batches[2]! };
    fs.truncateSync(seg.path, seg.lastBatch.offset + 10);

    const again = await open(dir);
    expect(again.recovery).toMatchObject({ checkpointSeq: 12, lastSeq: 12, tornTail: { file: seg.file, offset: seg.lastBatch.offset } });
    expect(again.wal.sealedSegments.map((s) => [s.segmentId, s.firstSeq, s.lastSeq])).toEqual([[1, 1, 8]]);
    expect(decodeSegment(fs.readFileSync(seg.path), seg.file, 'sealed').lastSeq).toBe(8);
    await writeBatches(again, 2, 3);
    expect(again.lastSeq).toBe(18);
    await again.close();
    const reopened = await open(dir);
    expect(reopened.recovery.tornTail).toBeNull();
    expect(snapshotOf(reopened)).toEqual(await reference(18));
    expect(names(dir, '.wal')).toEqual([segmentFileName(0, 1), segmentFileName(0, 2)]);
    await reopened.close();
  });

  it('a torn only batch the checkpoint covers: the header-only segment is removed, writes continue in a new one', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await writeBatches(db, 1, 4);
    await db.close();
    const file = segmentFileName(0, 1);
    const first = decodeSegment(fs.readFileSync(path.join(dir, file)), file, 'active').batches[0]!;
    fs.truncateSync(path.join(dir, file), first.offset + 80);

    const again = await open(dir);
    expect(again.recovery).toMatchObject({ checkpointSeq: 4, tornTail: { file, offset: first.offset } });
    expect(names(dir, '.wal')).toEqual([]);
    await writeBatches(again, 1, 3);
    await again.close();
    expect(names(dir, '.wal')).toEqual([segmentFileName(0, 2)]);
    const reopened = await open(dir);
    expect(snapshotOf(reopened)).toEqual(await reference(7));
    await reopened.close();
  });

  it('a new segment whose header was cut short is removed and reported', async () => {
    const header = encodeSegmentHeader({
      shardId: 0, segmentId: 2, firstSeq: 13, createdAtMs: WORKLOAD_CLOCK_MS, regionId: 'local', epoch: 0, epochStartSeq: 1, epochHistory: [],
      halfLives: { defaultMs: WORKLOAD_HALF_LIFE_MS, byType: new Map() },
    });
    for (const length of [0, 3, 39, 40, 41, header.length - 1]) {
      const dir = tempDir();
      let db = await open(dir);
      await writeBatches(db, 3, 4);
      await db.wal.seal();
      await db.close();
      deleteCheckpoints(dir);
      const file = segmentFileName(0, 2);
      fs.writeFileSync(path.join(dir, file), header.subarray(0, length));

      db = await open(dir);
      expect(db.recovery.tornTail, `header cut to ${length} bytes`).toMatchObject({ file, offset: 0, discardedBytes: length });
      expect(db.lastSeq).toBe(12);
      expect(names(dir, '.wal')).toEqual([segmentFileName(0, 1)]);
      await continuesAfterRecovery(dir, db, 12);
    }
  });

  it('a new segment holding only its complete header is continued, not torn', async () => {
    const dir = tempDir();
    let db = await open(dir);
    await writeBatches(db, 1, 4);
    await db.wal.seal();
    await db.close();
    deleteCheckpoints(dir);
    fs.writeFileSync(path.join(dir, segmentFileName(0, 2)), encodeSegmentHeader({
      shardId: 0, segmentId: 2, firstSeq: 5, createdAtMs: WORKLOAD_CLOCK_MS, regionId: 'local', epoch: 0, epochStartSeq: 1, epochHistory: [],
      halfLives: { defaultMs: WORKLOAD_HALF_LIFE_MS, byType: new Map() },
    }));
    db = await open(dir);
    expect(db.recovery.tornTail).toBeNull();
    await continuesAfterRecovery(dir, db, 4);
    expect(names(dir, '.wal')).toEqual([segmentFileName(0, 1), segmentFileName(0, 2)]);
  });

  describe('a crash (power loss) during a seal', () => {
    it('recovers a segment whose footer never became durable when the next segment holds no intact batch', async () => {
      const dir = tempDir();
      let db = await open(dir);
      await writeBatches(db, 2, 5); // segment 1: two durable batches, not sealed
      await db.close();
      deleteCheckpoints(dir);
      // the seal's footer was lost, but the next segment's file (header only) survived
      fs.writeFileSync(path.join(dir, segmentFileName(0, 2)), encodeSegmentHeader({
        shardId: 0, segmentId: 2, firstSeq: 11, createdAtMs: WORKLOAD_CLOCK_MS, regionId: 'local', epoch: 0, epochStartSeq: 1, epochHistory: [],
        halfLives: { defaultMs: WORKLOAD_HALF_LIFE_MS, byType: new Map() },
      }));
      db = await open(dir);
      expect(db.lastSeq).toBe(10);
      expect(db.recovery.tornTail).toMatchObject({ file: segmentFileName(0, 2), offset: 0 });
      expect(names(dir, '.wal')).toEqual([segmentFileName(0, 1)]);
      await continuesAfterRecovery(dir, db, 10);
    });

    it('a lost footer with the next segment\'s batch written back (its fsync never ran): that segment goes, the unsealed one continues', async () => {
      const dir = tempDir();
      let db = await open(dir);
      await writeBatches(db, 2, 5); // segment 1: seqnos 1..10
      await db.wal.seal();
      await writeBatches(db, 1, 5); // segment 2: seqnos 11..15, its batch on disk
      await db.close();
      deleteCheckpoints(dir);
      const first = path.join(dir, segmentFileName(0, 1));
      fs.truncateSync(first, fs.statSync(first).size - FOOTER_BYTES); // the seal's footer never reached the disk
      db = await open(dir);
      expect(db.lastSeq).toBe(10);
      expect(db.recovery.tornTail).toMatchObject({ file: segmentFileName(0, 2), offset: 0 });
      expect(db.recovery.tornTail!.reason).toMatch(/seal was durable/);
      await continuesAfterRecovery(dir, db, 10);
    });

    it('a lost footer with the next segment\'s creation cut short inside its header: that segment goes too', async () => {
      const dir = tempDir();
      let db = await open(dir);
      await writeBatches(db, 2, 5); // segment 1: seqnos 1..10, not sealed
      await db.close();
      deleteCheckpoints(dir);
      const header = encodeSegmentHeader({
        shardId: 0, segmentId: 2, firstSeq: 11, createdAtMs: WORKLOAD_CLOCK_MS, regionId: 'local', epoch: 0, epochStartSeq: 1, epochHistory: [],
        halfLives: { defaultMs: WORKLOAD_HALF_LIFE_MS, byType: new Map() },
      });
      fs.writeFileSync(path.join(dir, segmentFileName(0, 2)), header.subarray(0, 20)); // found by npm run crash, seed 550658928
      db = await open(dir);
      expect(db.lastSeq).toBe(10);
      expect(names(dir, '.wal')).toEqual([segmentFileName(0, 1)]);
      await continuesAfterRecovery(dir, db, 10);
    });

    it('still refuses an unsealed segment in the middle when a later one holds data', async () => {
      const dir = tempDir();
      const db = await open(dir);
      await writeBatches(db, 1, 5);
      await db.close();
      deleteCheckpoints(dir);
      const later = await open(path.join(dir, 'other'));
      await writeBatches(later, 3, 5);
      await later.wal.seal();
      await writeBatches(later, 1, 5);
      await later.flush();
      // segment 2 of another log, holding intact batches after an unsealed segment 1
      fs.copyFileSync(path.join(dir, 'other', segmentFileName(0, 2)), path.join(dir, segmentFileName(0, 2)));
      await expect(TidalDb.open({ dir, clock: () => WORKLOAD_CLOCK_MS, halfLifeMs: WORKLOAD_HALF_LIFE_MS })).rejects.toMatchObject({ code: 'Corruption' });
      await later.close();
    });
  });
});

describe('damage to sealed segments', () => {
  /** Two sealed segments of two batches each, then an active one of two batches. */
  async function threeSegments(dir: string): Promise<string[]> {
    const db = await open(dir);
    for (let s = 0; s < 3; s++) {
      await writeBatches(db, 2, 5);
      if (s < 2) await db.wal.seal();
    }
    await db.close();
    const files = names(dir, '.wal');
    expect(files).toEqual([1, 2, 3].map((id) => segmentFileName(0, id)));
    return files;
  }

  it('a flipped bit inside a sealed segment fails open with Corruption naming the file and byte offset', async () => {
    const dir = tempDir();
    const files = await threeSegments(dir);
    for (const file of files.slice(0, 2)) {
      const p = path.join(dir, file);
      const bytes = fs.readFileSync(p);
      const d = decodeSegment(bytes, file, 'sealed');
      const footerAt = bytes.length - 56;
      const cases: Array<[number, string]> = [
        [33, `${file}: segment checksum mismatch in footer at offset ${footerAt}`], // created-at, covered by the footer checksum
        [d.batches[1]!.offset + 76 + 3, `${file}: batch checksum mismatch at offset ${d.batches[1]!.offset}`],
        [d.batches[0]!.offset + 12, `${file}: batch at offset ${d.batches[0]!.offset} claims`], // event count
        [footerAt + 5, `${file}: segment checksum mismatch in footer at offset ${footerAt}`], // footer event count
        [bytes.length - 1, `${file}: segment checksum mismatch in footer at offset ${footerAt}`],
      ];
      for (const [offset, message] of cases) {
        flipBit(p, offset);
        const err = await openFailure(dir);
        expect(err.code).toBe('Corruption');
        expect(err.message).toContain(message);
        flipBit(p, offset);
      }
    }
    const db = await open(dir); // every flip undone: the control
    expect(db.lastSeq).toBe(30);
    await db.close();
  });

  it('a sealed segment is verified even when a checkpoint covers it', async () => {
    const dir = tempDir();
    const [first] = await threeSegments(dir);
    expect(names(dir, '.checkpoint')).toEqual([checkpointFileName(0, 30)]);
    flipBit(path.join(dir, first!), 100);
    expect((await openFailure(dir)).message).toContain(first!);
  });

  it('a sealed segment cut short fails open with Corruption', async () => {
    const dir = tempDir();
    const [first] = await threeSegments(dir);
    const p = path.join(dir, first!);
    fs.truncateSync(p, fs.statSync(p).size - 10);
    const err = await openFailure(dir);
    expect(err.code).toBe('Corruption');
    expect(err.message).toMatch(new RegExp(`^${first}: .*offset \\d+`));
  });

  it('a missing segment in the middle fails open with Corruption naming the file after the hole', async () => {
    const dir = tempDir();
    const files = await threeSegments(dir);
    deleteCheckpoints(dir);
    fs.rmSync(path.join(dir, files[1]!));
    const err = await openFailure(dir);
    expect(err.code).toBe('Corruption');
    expect(err.message).toBe(`${files[2]}: starts at seqno 21 (offset 24) but the log before it ends at 10: a segment is missing`);
  });

  it('a missing first segment fails open with Corruption when no checkpoint covers it', async () => {
    const dir = tempDir();
    const files = await threeSegments(dir);
    deleteCheckpoints(dir);
    fs.rmSync(path.join(dir, files[0]!));
    const err = await openFailure(dir);
    expect(err.code).toBe('Corruption');
    expect(err.message).toContain(`${files[1]}: starts at seqno 11`);
  });
});

describe('checkpoint files', () => {
  it('every flipped bit in a checkpoint is Corruption naming the file and an offset', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await writeBatches(db, 2, 6);
    await db.close();
    const [file] = names(dir, '.checkpoint');
    const bytes = fs.readFileSync(path.join(dir, file!));
    expect(decodeCheckpoint(bytes, 0, file!).appliedSeq).toBe(12);
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Uint8Array.from(bytes);
        damaged[at]! ^= 1 << bit;
        let err: unknown;
        try {
          decodeCheckpoint(damaged, 0, file!);
        } catch (e) {
          err = e;
        }
        expect(err, `flip of byte ${at} bit ${bit} went unnoticed`).toBeInstanceOf(WalError);
        expect((err as WalError).code).toBe('Corruption');
        expect((err as WalError).message).toMatch(new RegExp(`^${file}: .*offset \\d+`));
      }
    }
  });

  it('a flipped bit in the checkpoint seqno fails open, rather than skipping or re-applying WAL events', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await writeBatches(db, 2, 6);
    await db.close();
    const file = checkpointFileName(0, 12);
    flipBit(path.join(dir, file), 16, 1); // seqno 12 -> 14
    const err = await openFailure(dir);
    expect(err.code).toBe('Corruption');
    expect(err.message).toBe(`${file}: checkpoint checksum mismatch at offset 24`);
  });
});

describe('checkpoint + replay equivalence', () => {
  it('the state reopened from a checkpoint, from an older checkpoint plus the WAL, and from the WAL alone all equal the original', async () => {
    const dir = tempDir();
    const wal = { maxSegmentBytes: 1024 }; // the smallest allowed: size-triggered seals every few batches
    let db = await open(dir, wal);
    await writeBatches(db, 20, 7);
    expect(await db.checkpoint()).toBe(140);
    const midCheckpoint = fs.readFileSync(path.join(dir, checkpointFileName(0, 140)));
    await writeBatches(db, 23, 7);
    const original = snapshotOf(db);
    expect(original.lastSeq).toBe(301);
    expect(original).toEqual(await reference(301));
    expect(db.wal.sealedSegments.length).toBeGreaterThan(5);
    await db.close();
    expect(names(dir, '.checkpoint')).toEqual([checkpointFileName(0, 301)]);

    db = await open(dir, wal);
    expect(db.recovery).toMatchObject({ checkpointSeq: 301, eventsReplayed: 0, tornTail: null });
    expect(snapshotOf(db)).toEqual(original);
    await db.close();

    deleteCheckpoints(dir);
    fs.writeFileSync(path.join(dir, checkpointFileName(0, 140)), midCheckpoint);
    db = await open(dir, wal);
    expect(db.recovery).toMatchObject({ checkpointSeq: 140, eventsReplayed: 161, tornTail: null });
    expect(snapshotOf(db)).toEqual(original);
    await db.close();

    deleteCheckpoints(dir);
    db = await open(dir, wal);
    expect(db.recovery).toMatchObject({ checkpointSeq: 0, eventsReplayed: 301, tornTail: null });
    expect(db.recovery.segmentsRead).toBe(names(dir, '.wal').length);
    expect(snapshotOf(db)).toEqual(original);
    await db.close();
  });
});
