/**
 * `tidaldb inspect` on a leader's `.wal` files holding several segments each
 * (`wal.packSegments`, the default): a directory lists each file and, under
 * it, each segment (`@<byte> segment <id>`), as for segment packs; one such
 * file lists its segments, then each one batch by batch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitWritten } from '../../src/internal.js';
import { inspectPath } from '../../streams/cli/inspect.js';
import { captureIo } from './captureIo.js';
import { dirFingerprint, flipByte, walDir } from './walDir.js';

function segmentsIn(dir: string, file: string): { segmentId: number; offset: number; length: number }[] {
  return [...splitWritten(fs.readFileSync(path.join(dir, file))).segments];
}

describe('tidaldb inspect DIR (several segments per .wal file)', () => {
  it('one row per file, then one `@<byte> segment <id>` row per segment in it, and changes nothing', async () => {
    const w = await walDir();
    const before = dirFingerprint(w.dir);
    const io = captureIo();
    expect(await inspectPath(w.dir, {}, io)).toBe(0);
    const text = io.stdout();
    const all = w.segments.map((f) => segmentsIn(w.dir, f));
    const total = all.reduce((n, s) => n + s.length, 0);
    expect(text).toContain(`${w.dir}: ${total} segments (${total} in ${w.segments.length} .wal files), 1 checkpoint`);
    for (const [i, file] of w.segments.entries()) {
      const size = fs.statSync(path.join(w.dir, file)).size.toLocaleString('en-US');
      expect(text).toMatch(new RegExp(`^${file} +\\d+\\.\\.\\d+ +${size} +\\d+ +${all[i]!.length} segments +OK$`, 'm'));
      for (const [j, s] of all[i]!.entries()) {
        const state = i === w.segments.length - 1 && j === all[i]!.length - 1 ? 'active' : 'sealed';
        expect(text).toMatch(new RegExp(`^  @${s.offset} segment ${s.segmentId} +\\d+\\.\\.\\d+ +${s.length.toLocaleString('en-US')} +\\d+ +${state} +OK$`, 'm'));
      }
    }
    expect(text).toMatch(new RegExp(`^${w.checkpoints[0]} +\\.\\.${w.lastSeq} +[\\d,]+ +- +checkpoint +OK$`, 'm'));
    expect(text).toContain(`all ${w.segments.length + 1} files OK`);
    expect(dirFingerprint(w.dir)).toEqual(before);
  });

  it('--json: each file with its segments, whose seqno ranges tile the log', async () => {
    const w = await walDir();
    const io = captureIo();
    expect(await inspectPath(w.dir, { json: true }, io)).toBe(0);
    const doc = JSON.parse(io.stdout()) as { ok: boolean; files: Array<{ kind: string; file: string; segments?: Array<Record<string, unknown>> }> };
    expect(doc.ok).toBe(true);
    const files = doc.files.filter((f) => f.kind === 'segments');
    expect(files.map((f) => f.file)).toEqual(w.segments);
    const segments = files.flatMap((f) => f.segments!);
    let next = 1;
    for (const s of segments) {
      expect(s['firstSeq']).toBe(next);
      expect(s['status']).toBe('OK');
      next = (s['lastSeq'] as number) + 1;
    }
    expect(next - 1).toBe(w.lastSeq);
    expect(segments.slice(0, -1).every((s) => s['state'] === 'sealed' && s['mode'] === 'sealed')).toBe(true);
    expect(segments.at(-1)).toMatchObject({ state: 'active', mode: 'active' });
  });

  it('a damaged segment in the middle of a shared file: its row and its file\'s CORRUPT, named `<file> at byte <offset>`, exit 1', async () => {
    const w = await walDir();
    const file = w.segments[1]!;
    const second = segmentsIn(w.dir, file)[1]!;
    flipByte(w.dir, file, second.offset + 150);
    const io = captureIo();
    expect(await inspectPath(w.dir, {}, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^${file} +.* +2 segments +CORRUPT$`, 'm'));
    expect(io.stdout()).toMatch(new RegExp(`^  @${second.offset} segment ${second.segmentId} +\\d+\\.\\.\\? +[\\d,]+ +- +- +CORRUPT$`, 'm'));
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT ${file} at byte ${second.offset}: .*offset \\d+`, 'm'));
    expect(io.stdout()).toContain(`1 of ${w.segments.length + 1} files CORRUPT`);
  });
});

describe('tidaldb inspect FILE (several segments per .wal file)', () => {
  it('the newest file: a table of its segments, then each one (header, batches, footer; the active one without)', async () => {
    const w = await walDir();
    const file = path.join(w.dir, w.segments.at(-1)!);
    const [sealed, active] = segmentsIn(w.dir, w.segments.at(-1)!);
    const io = captureIo();
    expect(await inspectPath(file, {}, io)).toBe(0);
    const text = io.stdout();
    expect(text).toMatch(new RegExp(`^file ${file}: [\\d,]+ bytes, 2 segments, the newest \\.wal file of shard 0, OK$`, 'm'));
    expect(text).toMatch(/^SEGMENT +AT BYTE +BYTES +SEQNOS +BATCHES +STATE +CHECK$/m);
    expect(text).toMatch(new RegExp(`^ +${sealed!.segmentId} +0 +[\\d,]+ +\\d+\\.\\.\\d+ +\\d+ +sealed +OK$`, 'm'));
    expect(text).toMatch(new RegExp(`^ +${active!.segmentId} +${active!.offset} +[\\d,]+ +\\d+\\.\\.${w.lastSeq} +\\d+ +active +OK$`, 'm'));
    expect(text).toMatch(new RegExp(`^segment ${sealed!.segmentId} at byte 0: [\\d,]+ bytes, sealed, decoded as sealed, OK$`, 'm'));
    expect(text).toMatch(new RegExp(`^segment ${active!.segmentId} at byte ${active!.offset}: [\\d,]+ bytes, active, decoded as active, OK$`, 'm'));
    expect(text).toMatch(/^footer at offset \d+: \d+ events?, last seqno \d+, sealed at .*Z, segment checksum OK$/m);
    expect(text).toMatch(new RegExp(`^no footer: active segment, \\d+ events? up to seqno ${w.lastSeq}$`, 'm'));
  });

  it('--json: each segment\'s batches tile it between its header and its footer', async () => {
    const w = await walDir();
    const io = captureIo();
    expect(await inspectPath(path.join(w.dir, w.segments[0]!), { json: true }, io)).toBe(0);
    const doc = JSON.parse(io.stdout()) as {
      kind: string; segments: Array<{ offset: number; byteLength: number; batches: Array<{ offset: number; payloadBytes: number }>; footer: { offset: number } }>;
    };
    expect(doc.kind).toBe('segments');
    expect(doc.segments.length).toBeGreaterThan(1);
    let fileOffset = 0;
    for (const s of doc.segments) {
      expect(s.offset).toBe(fileOffset);
      let offset = s.batches[0]!.offset;
      for (const b of s.batches) {
        expect(b.offset).toBe(offset);
        offset += 76 + b.payloadBytes;
      }
      expect(offset).toBe(s.footer.offset);
      expect(s.footer.offset + 56).toBe(s.byteLength);
      fileOffset += s.byteLength;
    }
    expect(fileOffset).toBe(fs.statSync(path.join(w.dir, w.segments[0]!)).size);
  });
});
