import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyDir } from '../../streams/cli/verify.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo } from './captureIo.js';
import { dirFingerprint, flipByte, walDir } from './walDir.js';

/** One segment to a `.wal` file, as before `wal.packSegments`: reported exactly as before (verifyWalFiles.test.ts and inspectWalFiles.test.ts have the packed layout). */
const ONE_PER_FILE = { packSegments: false };

describe('tidaldb verify DIR (one segment per .wal file)', () => {
  it('prints OK with what it checked, exits 0, and changes nothing', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const before = dirFingerprint(w.dir);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(0);
    expect(io.stdout()).toBe(`OK: ${w.dir}: ${w.segments.length} segments (seqnos 1..${w.lastSeq}), 1 checkpoint (seqno ${w.lastSeq})\n`);
    expect(io.stderr()).toBe('');
    expect(dirFingerprint(w.dir)).toEqual(before);
  });

  it('a flipped byte in a sealed segment: the first problem, naming directory, file and offset, and the next step; exit 1', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    flipByte(w.dir, w.segments[2]!, 150);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT: ${w.segments[2]}: .*offset \\d+.* \\(in ${w.dir}\\)\\n$`));
    expect(io.stderr()).toBe(`next step: if ${w.dir} is a replica, rebuild it from its leader: tidaldb follower --dir ${w.dir} --rebuild `
      + '(with its usual --connect, --peer); if it is a leader, restore it from a backup or promote a healthy follower (docs/runbook-promotion.md)\n');
  });

  it('a flipped footer checksum and a damaged checkpoint: the first one, and how many more', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const first = path.join(w.dir, w.segments[0]!);
    flipByte(w.dir, w.segments[0]!, fs.statSync(first).size - 1);
    flipByte(w.dir, w.checkpoints[0]!, 60);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(1);
    expect(io.stdout()).toBe(`CORRUPT: ${w.segments[0]}: segment checksum mismatch in footer at offset ${fs.statSync(first).size - 56}`
      + ` (in ${w.dir}) (and 1 more: run tidaldb inspect ${w.dir})\n`);
  });

  it('a missing middle segment is a gap: exit 1', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    fs.rmSync(path.join(w.dir, w.checkpoints[0]!)); // without a checkpoint every segment is needed
    fs.rmSync(path.join(w.dir, w.segments[1]!));
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT: ${w.segments[2]}: starts at seqno \\d+ \\(offset 24\\) but the log before it ends at \\d+: a segment is missing \\(in ${w.dir}\\)\\n$`));
  });

  it('a torn tail on the active segment is what a crash leaves: a note, exit 0', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const last = path.join(w.dir, w.segments.at(-1)!);
    fs.truncateSync(last, fs.statSync(last).size - 3);
    const io = captureIo();
    expect(await verifyDir(w.dir, io)).toBe(0);
    expect(io.stdout()).toMatch(new RegExp(`^note: ${w.segments.at(-1)} ends in a torn write at offset \\d+ \\(.*\\); open cuts off \\d+ bytes$`, 'm'));
    expect(io.stdout()).toMatch(/^OK: /m);
  });

  it('the same damage in a sealed segment is corruption', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const sealed = path.join(w.dir, w.segments[0]!);
    fs.truncateSync(sealed, fs.statSync(sealed).size - 3);
    expect(await verifyDir(w.dir, captureIo())).toBe(1);
  });

  it('usage errors: a missing dir, a file (exit 2, one line on stderr)', async () => {
    const dir = tempDir('cli');
    const io = captureIo();
    expect(await verifyDir(path.join(dir, 'missing'), io)).toBe(2);
    expect(io.stderr()).toBe(`error: ${path.join(dir, 'missing')}: no such directory\n`);
    expect(io.stdout()).toBe('');
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, '');
    const io2 = captureIo();
    expect(await verifyDir(file, io2)).toBe(2);
    expect(io2.stderr()).toBe(`error: ${file}: not a directory\n`);
  });

  it('verify on an empty directory exits non-zero: nothing was verified (exit 2, one line)', async () => {
    const dir = tempDir('cli');
    const io = captureIo();
    expect(await verifyDir(dir, io)).toBe(2);
    expect(io.stdout()).toBe('');
    expect(io.stderr()).toBe(`error: ${dir}: not a tidaldb database directory: it is empty (nothing verified; check the path: `
      + 'a database directory holds shard-<n>-seg-<n>.wal files)\n');
  });

  it('verify on a mistyped directory exits non-zero: a missing one, and one that holds other things (exit 2)', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const typo = captureIo();
    expect(await verifyDir(`${w.dir}-typo`, typo)).toBe(2);
    expect(typo.stderr()).toBe(`error: ${w.dir}-typo: no such directory\n`);
    const parent = captureIo(); // one level too high: the directory that holds the database directory
    expect(await verifyDir(path.dirname(w.dir), parent)).toBe(2);
    expect(parent.stderr()).toMatch(new RegExp(`^error: ${path.dirname(w.dir)}: not a tidaldb database directory: it holds \\d+ entr(y|ies), none of them a tidaldb segment or checkpoint`));
  });
});
