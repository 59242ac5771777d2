/**
 * `tidaldb inspect` on segment packs (`.wals`, a follower's): a pack file is
 * listed segment by segment, and a directory lists each pack with its
 * segments under it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectPath } from '../../streams/cli/inspect.js';
import { captureIo } from './captureIo.js';
import { followerPackDir } from './followerPackDir.js';
import { dirFingerprint, flipByte } from './walDir.js';

const SEVERAL_PACKS = { seals: 40, perSeal: 20, maxSegmentBytes: 8 * 1024 } as const;

/** Where each stored segment starts in the first pack, for the segments in it. */
function offsets(sizes: readonly number[]): number[] {
  return sizes.reduce<number[]>((acc, n, i) => [...acc, i === 0 ? 0 : acc[i - 1]! + sizes[i - 1]!], []).slice(0, sizes.length);
}

describe('tidaldb inspect with segment packs', () => {
  it('inspect <pack>.wals lists each segment in it (id, byte, bytes, seqnos), then each one batch by batch; changes nothing', async () => {
    const p = await followerPackDir({ seals: 5, perSeal: 3 });
    expect(p.packs).toHaveLength(1);
    const file = path.join(p.dir, p.packs[0]!);
    const before = dirFingerprint(p.dir);
    const io = captureIo();
    expect(await inspectPath(file, {}, io)).toBe(0);
    const text = io.stdout();
    expect(io.stderr()).toBe('');
    expect(text).toMatch(new RegExp(`^pack ${file}: [\\d,]+ bytes, 5 segments, the newest pack of shard 0, OK$`, 'm'));
    expect(text).toMatch(/^SEGMENT +AT BYTE +BYTES +SEQNOS +BATCHES +STATE +CHECK$/m);
    const at = offsets(p.segments.map((s) => s.bytes.length));
    p.segments.forEach((s, i) => {
      expect(text).toMatch(new RegExp(`^ +${s.segmentId} +${at[i]} +${s.bytes.length} +${s.firstSeq}\\.\\.${s.lastSeq} +\\d+ +sealed +OK$`, 'm'));
      expect(text).toMatch(new RegExp(`^segment ${s.segmentId} at byte ${at[i]}: ${s.bytes.length} bytes, sealed, decoded as sealed, OK$`, 'm'));
      expect(text).toContain(`footer at offset ${s.bytes.length - 56}: ${s.lastSeq - s.firstSeq + 1} events, last seqno ${s.lastSeq}`);
      expect(text).toContain(`BLAKE3 of the segment (the shipped checksum): ${s.checksum.toHex()}`);
    });
    expect(text).toMatch(/^ {2}OFFSET +SEQNOS +EVENTS +PAYLOAD BYTES +COMMITTED AT$/m);
    expect(dirFingerprint(p.dir)).toEqual(before);
  });

  it('--json: the pack and every segment in it, with offsets, seqnos, sizes and batches that tile it', async () => {
    const p = await followerPackDir({ seals: 5, perSeal: 3 });
    const file = path.join(p.dir, p.packs[0]!);
    const io = captureIo();
    expect(await inspectPath(file, { json: true }, io)).toBe(0);
    const doc = JSON.parse(io.stdout()) as {
      kind: string; byteLength: number; status: string; newest: boolean;
      segments: { segmentId: number; offset: number; byteLength: number; firstSeq: number; lastSeq: number; batches: { firstSeq: number; lastSeq: number }[] }[];
    };
    expect(doc).toMatchObject({ kind: 'pack', byteLength: fs.statSync(file).size, status: 'OK', newest: true });
    const at = offsets(p.segments.map((s) => s.bytes.length));
    expect(doc.segments.map((s) => [s.segmentId, s.offset, s.byteLength, s.firstSeq, s.lastSeq]))
      .toEqual(p.segments.map((s, i) => [s.segmentId, at[i], s.bytes.length, s.firstSeq, s.lastSeq]));
    for (const s of doc.segments) expect([s.batches[0]!.firstSeq, s.batches.at(-1)!.lastSeq]).toEqual([s.firstSeq, s.lastSeq]);
  });

  it('a torn append on the pack is shown as what open cuts off (exit 0); a damaged older pack is CORRUPT naming the byte (exit 1)', async () => {
    const torn = await followerPackDir({ seals: 6, perSeal: 3, apply: 5 });
    const file = path.join(torn.dir, torn.packs[0]!);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, torn.leaderSegments[5]!.bytes.subarray(0, 100));
    const io = captureIo();
    expect(await inspectPath(file, {}, io)).toBe(0);
    expect(io.stdout()).toContain(`torn append at byte ${size} (an append cut short: no whole sealed segment from here): open cuts off 100 bytes`);

    const damaged = await followerPackDir(SEVERAL_PACKS);
    const at = damaged.segments[0]!.bytes.length;
    flipByte(damaged.dir, damaged.packs[0]!, at + damaged.segments[1]!.bytes.length - 1);
    const io2 = captureIo();
    expect(await inspectPath(path.join(damaged.dir, damaged.packs[0]!), {}, io2)).toBe(1);
    expect(io2.stdout()).toMatch(/, an older pack of shard 0, CORRUPT$/m);
    expect(io2.stdout()).toContain(`CORRUPT ${damaged.packs[0]} at byte ${at}: segment checksum mismatch in footer`);
  });

  it('inspect DIR lists each pack and the segments in it', async () => {
    const p = await followerPackDir(SEVERAL_PACKS);
    const io = captureIo();
    expect(await inspectPath(p.dir, {}, io)).toBe(0);
    const text = io.stdout();
    expect(text).toContain(`${p.dir}: 40 segments (40 in 3 packs), 1 checkpoint`);
    for (const name of p.packs) expect(text).toMatch(new RegExp(`^${name} +\\d+\\.\\.\\d+ +[\\d,]+ +\\d+ +pack of \\d+ +OK$`, 'm'));
    expect(text).toMatch(new RegExp(`^ {2}@0 segment 1 +1\\.\\.20 +${p.segments[0]!.bytes.length} +\\d+ +sealed +OK$`, 'm'));
    expect(text.match(/^ {2}@\d+ segment \d+ /gm)).toHaveLength(40);
    expect(text).toContain('all 4 files OK');
  });
});
