/**
 * `tidaldb verify` on a follower's directory, whose segments sit in segment
 * packs (`.wals`): it judges them as open does (src/wal/packFiles.ts), and
 * each test checks open's verdict on the same directory too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { segmentFileName } from '../../src/internal.js';
import { verifyDir } from '../../streams/cli/verify.js';
import { captureIo } from './captureIo.js';
import { followerPackDir, openFollower } from './followerPackDir.js';
import { dirFingerprint, flipByte } from './walDir.js';

/** 40 segments of 20 events in 8 KiB packs: 3 packs. */
const SEVERAL_PACKS = { seals: 40, perSeal: 20, maxSegmentBytes: 8 * 1024 } as const;

describe('tidaldb verify DIR with segment packs', () => {
  it('a follower directory with packs verifies OK, counting every packed segment, and changes nothing', async () => {
    const p = await followerPackDir(SEVERAL_PACKS);
    expect(p.packs.length).toBe(3);
    const before = dirFingerprint(p.dir);
    const io = captureIo();
    expect(await verifyDir(p.dir, io)).toBe(0);
    expect(io.stdout()).toBe(`OK: ${p.dir}: 40 segments (seqnos 1..${p.lastSeq}; 40 in 3 packs), 1 checkpoint (seqno ${p.lastSeq})\n`);
    expect(io.stderr()).toBe('');
    expect(dirFingerprint(p.dir)).toEqual(before);
    await (await openFollower(p.dir)).close();
  });

  it('a torn append at the end of the newest pack is reported as the tail open cuts off: a note, exit 0', async () => {
    const p = await followerPackDir({ seals: 6, perSeal: 3, apply: 5 });
    const newest = path.join(p.dir, p.packs.at(-1)!);
    const sizeBefore = fs.statSync(newest).size;
    const sixth = p.leaderSegments[5]!.bytes; // not stored: half of it is the torn append
    const half = sixth.subarray(0, sixth.length >> 1);
    fs.appendFileSync(newest, half);
    const io = captureIo();
    expect(await verifyDir(p.dir, io)).toBe(0);
    expect(io.stdout()).toBe(`note: ${p.packs.at(-1)} ends in a torn write at offset ${sizeBefore} (an append cut short: no whole sealed segment from here); `
      + `open cuts off ${half.length} bytes\nOK: ${p.dir}: 5 segments (seqnos 1..${p.lastSeq}; 5 in 1 pack), 1 checkpoint (seqno ${p.lastSeq})\n`);
    const reopened = await openFollower(p.dir); // open cuts exactly that tail off, and keeps everything before it
    expect(fs.statSync(newest).size).toBe(sizeBefore);
    expect(reopened.lastSeq).toBe(p.lastSeq);
    await reopened.close();
  });

  it('a flipped bit in a pack that is not the newest is CORRUPT naming the pack and the byte; exit 1, as open refuses it', async () => {
    const p = await followerPackDir(SEVERAL_PACKS);
    const second = p.segments[1]!;
    const at = p.segments[0]!.bytes.length; // the second segment of the oldest pack
    flipByte(p.dir, p.packs[0]!, at + second.bytes.length - 1); // its footer checksum
    const io = captureIo();
    expect(await verifyDir(p.dir, io)).toBe(1);
    expect(io.stdout()).toBe(`CORRUPT: ${p.packs[0]} at byte ${at}: segment checksum mismatch in footer at offset ${second.bytes.length - 56} (in ${p.dir})\n`);
    expect(io.stderr()).toMatch(/^next step: /);
    await expect(openFollower(p.dir)).rejects.toMatchObject({ code: 'Corruption', message: expect.stringContaining(`${p.packs[0]} at byte ${at}`) });
  });

  it('a damaged segment header in an older pack: no whole sealed segment from that byte, CORRUPT as open says', async () => {
    const p = await followerPackDir(SEVERAL_PACKS);
    const at = p.segments[0]!.bytes.length;
    const size = fs.statSync(path.join(p.dir, p.packs[0]!)).size;
    flipByte(p.dir, p.packs[0]!, at); // the second segment's header magic
    const io = captureIo();
    expect(await verifyDir(p.dir, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT: ${p.packs[0]}: no whole sealed segment at byte ${at} of ${size} \\(not the newest pack`));
    await expect(openFollower(p.dir)).rejects.toMatchObject({ code: 'Corruption', message: expect.stringContaining(`${p.packs[0]}: no whole sealed segment at byte ${at}`) });
  });

  it('a torn tail on an older pack, or a whole segment after the tear in the newest, is corruption, not a torn append', async () => {
    const older = await followerPackDir(SEVERAL_PACKS);
    fs.truncateSync(path.join(older.dir, older.packs[0]!), fs.statSync(path.join(older.dir, older.packs[0]!)).size - 3);
    const io = captureIo();
    expect(await verifyDir(older.dir, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT: ${older.packs[0]}: no whole sealed segment at byte \\d+`));
    await expect(openFollower(older.dir)).rejects.toMatchObject({ code: 'Corruption' });

    const newest = await followerPackDir({ seals: 6, perSeal: 3 });
    const file = path.join(newest.dir, newest.packs[0]!);
    const at = newest.segments[0]!.bytes.length;
    flipByte(newest.dir, newest.packs[0]!, at + 12); // the second segment's meta length: the tear; whole segments follow it
    const io2 = captureIo();
    expect(await verifyDir(newest.dir, io2)).toBe(1);
    expect(io2.stdout()).toMatch(new RegExp(`^CORRUPT: ${newest.packs[0]}: no whole sealed segment at byte ${at} of ${fs.statSync(file).size} \\(a whole segment follows it\\)`));
    await expect(openFollower(newest.dir)).rejects.toMatchObject({ code: 'Corruption' });
  });

  it('a segment held both in a .wal file and in a pack is CORRUPT, as open refuses it', async () => {
    const p = await followerPackDir({ seals: 6, perSeal: 3 });
    const s = p.segments[2]!;
    fs.writeFileSync(path.join(p.dir, segmentFileName(0, s.segmentId)), s.bytes);
    const io = captureIo();
    expect(await verifyDir(p.dir, io)).toBe(1);
    const at = p.segments.slice(0, 2).reduce((n, x) => n + x.bytes.length, 0);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT: ${p.packs[0]} at byte ${at}: segment ${s.segmentId} is also in ${segmentFileName(0, s.segmentId)} `));
    await expect(openFollower(p.dir)).rejects.toMatchObject({ code: 'Corruption', message: expect.stringContaining(`segment ${s.segmentId} is both in`) });
  });
});
