/**
 * `tidaldb verify` on a leader's `.wal` files holding several segments each
 * (`wal.packSegments`, the default): judged as open judges them
 * (src/wal/writtenFiles.ts, openWal.ts, dropAfterUnsealed.ts), and where open
 * repairs something, checked against what open itself reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { splitWritten } from '../../src/internal.js';
import { verifyDir } from '../../streams/cli/verify.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo } from './captureIo.js';
import { dirFingerprint, walDir, type WalDir } from './walDir.js';

const OPTIONS = { wal: { maxSegmentBytes: 1024, retainSegments: 1_000 }, halfLifeMs: { view: 3_600_000 } } as const; // walDir's

/** Where each segment of `file` starts, as open splits it. */
function offsetsIn(dir: string, file: string): number[] {
  return splitWritten(fs.readFileSync(path.join(dir, file))).segments.map((s) => s.offset);
}

/** Flips the lowest bit of the byte at `offset`. */
function flipBit(dir: string, file: string, offset: number): void {
  const p = path.join(dir, file);
  const bytes = fs.readFileSync(p);
  bytes[offset] = bytes[offset]! ^ 0x01;
  fs.writeFileSync(p, bytes);
}

/** What open reports cutting off, on a copy (open repairs the directory it opens). */
async function openReport(dir: string): Promise<{ file: string; offset: number; discardedBytes: number; reason: string } | null> {
  return (await openRecovery(dir)).tornTail;
}

async function openRecovery(dir: string): Promise<{ tornTail: { file: string; offset: number; discardedBytes: number; reason: string } | null; lastSeq: number }> {
  const copy = tempDir('cli-open');
  fs.cpSync(dir, copy, { recursive: true });
  const db = await TidalDb.open({ dir: copy, ...OPTIONS });
  const { tornTail, lastSeq } = db.recovery;
  await db.close();
  return { tornTail, lastSeq };
}

/** The walDir, with its active segment sealed: the newest file ends in a footer, as after a ship tick. */
async function sealedAtEnd(): Promise<WalDir> {
  const w = await walDir();
  const db = await TidalDb.open({ dir: w.dir, ...OPTIONS });
  await db.wal.seal();
  await db.close();
  return w;
}

describe('tidaldb verify DIR (several segments per .wal file)', () => {
  it('a leader directory with several segments per file verifies OK, counting segments and files, and changes nothing', async () => {
    const w = await walDir();
    const segments = w.segments.reduce((n, f) => n + offsetsIn(w.dir, f).length, 0);
    expect(segments).toBeGreaterThan(w.segments.length); // the premise: files are shared
    const before = dirFingerprint(w.dir);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(0);
    expect(io.stdout()).toBe(`OK: ${w.dir}: ${segments} segments (seqnos 1..${w.lastSeq}; ${segments} in ${w.segments.length} .wal files), 1 checkpoint (seqno ${w.lastSeq})\n`);
    expect(io.stderr()).toBe('');
    expect(dirFingerprint(w.dir)).toEqual(before);
  });

  it('a flipped bit in a segment in the middle of a shared file: CORRUPT naming `<file> at byte <offset>`, exit 1', async () => {
    const w = await walDir();
    const file = w.segments[1]!;
    const at = offsetsIn(w.dir, file)[1]!;
    expect(at).toBeGreaterThan(0);
    flipBit(w.dir, file, at + 170); // inside its first batch's payload
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT: ${file} at byte ${at}: .*offset \\d+.* \\(in ${w.dir}\\)\\n$`));
    expect(io.stderr()).toMatch(/^next step: /);
  });

  it('a flipped footer checksum of the first segment of a shared file: named by file and footer offset', async () => {
    const w = await walDir();
    const file = w.segments[0]!;
    const second = offsetsIn(w.dir, file)[1]!;
    flipBit(w.dir, file, second - 1); // the last checksum byte of the first segment's footer
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(1);
    expect(io.stdout()).toBe(`CORRUPT: ${file}: segment checksum mismatch in footer at offset ${second - 56} (in ${w.dir})\n`);
  });

  it('a missing middle file is a gap, named by the file after it: exit 1', async () => {
    const w = await walDir();
    fs.rmSync(path.join(w.dir, w.checkpoints[0]!)); // without a checkpoint every segment is needed
    fs.rmSync(path.join(w.dir, w.segments[1]!));
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT: ${w.segments[2]}: starts at seqno \\d+ \\(offset 24\\) but the log before it ends at \\d+: a segment is missing \\(in ${w.dir}\\)\\n$`));
  });

  it('a torn tail of the active segment at the end of a shared file: a note naming the segment as open does, exit 0', async () => {
    const w = await walDir();
    const last = w.segments.at(-1)!;
    const at = offsetsIn(w.dir, last).at(-1)!;
    fs.truncateSync(path.join(w.dir, last), fs.statSync(path.join(w.dir, last)).size - 3);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(0);
    const open = await openReport(w.dir);
    expect(open?.file).toBe(`${last} at byte ${at}`);
    expect(io.stdout()).toMatch(new RegExp(`^note: ${last} at byte ${at} ends in a torn write at offset ${open!.offset} \\(.*\\); open cuts off ${open!.discardedBytes} bytes$`, 'm'));
    expect(io.stdout()).toMatch(/^OK: /m);
  });

  it('a torn header of a segment appended to the newest file: a note as open cuts it, exit 0; on an older file it is corruption', async () => {
    const w = await sealedAtEnd();
    const last = path.join(w.dir, w.segments.at(-1)!);
    const size = fs.statSync(last).size;
    const torn = fs.readFileSync(last).subarray(0, 30); // a segment header cut at 30 of its 40 fixed bytes
    fs.appendFileSync(last, torn);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(0);
    expect(io.stdout()).toMatch(new RegExp(`^note: ${w.segments.at(-1)} ends in a torn write at offset ${size} \\(the file ends inside a segment appended to it \\(an append cut short\\); nothing in it was acknowledged\\); open cuts off 30 bytes$`, 'm'));
    expect(io.stdout()).toMatch(/^OK: /m);
    expect(await openReport(w.dir)).toEqual({
      file: w.segments.at(-1), offset: size, discardedBytes: 30,
      reason: 'the file ends inside a segment appended to it (an append cut short); nothing in it was acknowledged',
    });

    const older = path.join(w.dir, w.segments[0]!);
    const olderSize = fs.statSync(older).size;
    fs.appendFileSync(older, torn);
    const corrupt = captureIo();
    expect(await verifyDir(w.dir, corrupt)).toBe(1);
    expect(corrupt.stdout()).toBe(`CORRUPT: ${w.segments[0]}: no segment at byte ${olderSize} of ${olderSize + 30} (in ${w.dir})\n`);
  });

  it('a lost footer (a power loss mid-seal) before the active segment: reported as open repairs it, exit 0', async () => {
    const w = await walDir();
    for (const c of w.checkpoints) fs.rmSync(path.join(w.dir, c)); // open must read the log
    const last = w.segments.at(-1)!;
    const [, active] = offsetsIn(w.dir, last);
    const p = path.join(w.dir, last);
    const bytes = fs.readFileSync(p);
    bytes.fill(0, active! - 56, active!); // the footer of the segment before the active one never reached the disk
    fs.writeFileSync(p, bytes);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(0);
    const { tornTail: open, lastSeq } = await openRecovery(w.dir);
    expect(open?.reason).toMatch(/^created before segment \d+'s seal was durable \(its footer never reached the disk\): it held nothing acknowledged$/);
    expect(io.stdout()).toMatch(new RegExp(`^note: ${last} at byte ${active} ends in a torn write at offset 0 \\(${open!.reason.replace(/[()]/g, '\\$&')}\\); open cuts off ${open!.discardedBytes} bytes$`, 'm'));
    expect(lastSeq).toBeLessThan(w.lastSeq);
    expect(io.stdout()).toMatch(new RegExp(`^OK: ${w.dir}: \\d+ segments \\(seqnos 1\\.\\.${lastSeq}; `, 'm')); // what open keeps
  });
});
