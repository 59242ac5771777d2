import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeSegmentHeader } from '../../src/wal/segmentHeader.js';
import { describe, expect, it } from 'vitest';
import { inspectPath } from '../../streams/cli/inspect.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo } from './captureIo.js';
import { dirFingerprint, flipByte, walDir } from './walDir.js';

/** One segment to a `.wal` file, as before `wal.packSegments`: reported exactly as before (verifyWalFiles.test.ts and inspectWalFiles.test.ts have the packed layout). */
const ONE_PER_FILE = { packSegments: false };

describe('tidaldb inspect DIR (one segment per .wal file)', () => {
  it('lists every segment and the checkpoint with seqnos, bytes, batches, state and check, and changes nothing', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const before = dirFingerprint(w.dir);
    const io = captureIo();
    expect(await inspectPath(w.dir, {}, io)).toBe(0);
    const text = io.stdout();
    expect(io.stderr()).toBe('');
    expect(text).toContain(`${w.dir}: ${w.segments.length} segments, 1 checkpoint`);
    expect(text).toMatch(/^FILE +SEQNOS +BYTES +BATCHES +STATE +CHECK$/m);
    const size = fs.statSync(path.join(w.dir, w.segments[0]!)).size.toLocaleString('en-US');
    expect(text).toMatch(new RegExp(`^${w.segments[0]} +1\\.\\.\\d+ +${size} +\\d+ +sealed +OK$`, 'm'));
    expect(text).toMatch(new RegExp(`^${w.segments.at(-1)} +\\d+\\.\\.${w.lastSeq} +[\\d,]+ +\\d+ +active +OK$`, 'm'));
    expect(text).toMatch(new RegExp(`^${w.checkpoints[0]} +\\.\\.${w.lastSeq} +[\\d,]+ +- +checkpoint +OK$`, 'm'));
    expect(text).toContain(`all ${w.segments.length + 1} files OK`);
    expect(dirFingerprint(w.dir)).toEqual(before);
  });

  it('--json: one document whose seqno ranges tile the log', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const io = captureIo();
    expect(await inspectPath(w.dir, { json: true }, io)).toBe(0);
    const doc = JSON.parse(io.stdout()) as { ok: boolean; files: Array<Record<string, unknown>> };
    expect(doc.ok).toBe(true);
    const segments = doc.files.filter((f) => f['kind'] === 'segment');
    expect(segments.map((f) => f['file'])).toEqual(w.segments);
    let next = 1;
    for (const s of segments) {
      expect(s['firstSeq']).toBe(next);
      expect(s['status']).toBe('OK');
      expect(s['batchCount']).toBeGreaterThan(0);
      next = (s['lastSeq'] as number) + 1;
    }
    expect(next - 1).toBe(w.lastSeq);
    expect(segments.slice(0, -1).every((s) => s['state'] === 'sealed')).toBe(true);
    expect(segments.at(-1)!['state']).toBe('active');
    expect(doc.files.find((f) => f['kind'] === 'checkpoint')).toMatchObject({ seq: w.lastSeq, status: 'OK', items: 1, signalTypes: ['view'] });
  });

  it('marks a damaged sealed segment CORRUPT with the decoder\'s message and exits 1', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const firstSeq = decodeSegmentHeader(fs.readFileSync(path.join(w.dir, w.segments[1]!)), w.segments[1]!).header.firstSeq;
    flipByte(w.dir, w.segments[1]!, 150); // inside the first batch's payload
    const io = captureIo();
    expect(await inspectPath(w.dir, {}, io)).toBe(1);
    expect(io.stdout()).toMatch(new RegExp(`^${w.segments[1]} +${firstSeq}\\.\\.\\? +[\\d,]+ +- +- +CORRUPT$`, 'm')); // header readable, the rest not
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT ${w.segments[1]}: .*offset \\d+`, 'm'));
    expect(io.stdout()).toContain(`1 of ${w.segments.length + 1} files CORRUPT`);
  });

  it('reports a torn tail of the active segment as TORN, which open cuts off: exit 0', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const last = path.join(w.dir, w.segments.at(-1)!);
    fs.truncateSync(last, fs.statSync(last).size - 5);
    const io = captureIo();
    expect(await inspectPath(w.dir, {}, io)).toBe(0);
    expect(io.stdout()).toMatch(new RegExp(`^TORN ${w.segments.at(-1)}: torn write at offset \\d+ .*open cuts off \\d+ bytes$`, 'm'));
  });

  it('usage errors: a missing path, a file that is no tidaldb file (exit 2, one line)', async () => {
    const dir = tempDir('cli');
    const io = captureIo();
    expect(await inspectPath(path.join(dir, 'nope'), {}, io)).toBe(2);
    expect(io.stderr()).toBe(`error: ${path.join(dir, 'nope')}: no such file or directory\n`);
    const other = path.join(dir, 'notes.txt');
    fs.writeFileSync(other, 'hello');
    const io2 = captureIo();
    expect(await inspectPath(other, {}, io2)).toBe(2);
    expect(io2.stderr()).toMatch(/^error: .*notes\.txt: not a tidaldb segment or checkpoint \(starts with "hell", expected "TDWS" or "TDCK"\)\n$/);
    const empty = captureIo();
    expect(await inspectPath(dir, {}, empty)).toBe(0);
    expect(empty.stdout()).toContain('no tidaldb files here');
  });
});

describe('tidaldb inspect FILE (one segment per .wal file)', () => {
  it('a sealed segment: header, each batch (offset, seqnos, events, payload bytes, committed at), then the footer', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const io = captureIo();
    const file = path.join(w.dir, w.segments[0]!);
    expect(await inspectPath(file, {}, io)).toBe(0);
    const text = io.stdout();
    expect(text).toMatch(new RegExp(`^segment ${file}: [\\d,]+ bytes, sealed, decoded as sealed, OK$`, 'm'));
    expect(text).toMatch(/^header: shard 0, segment 1, region "local", first seqno 1, created \d{4}-.*Z, half-lives default 86400000 ms, view 3600000 ms; batches start at offset \d+$/m);
    expect(text).toMatch(/^OFFSET +SEQNOS +EVENTS +PAYLOAD BYTES +COMMITTED AT$/m);
    expect(text).toMatch(/^ +\d+ +1\.\.1 +1 +\d+ +\d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(text).toMatch(/^footer at offset \d+: \d+ events?, last seqno \d+, sealed at .*Z, segment checksum OK$/m);
    expect(text).toMatch(/^BLAKE3 of the whole file \(the shipped checksum when sealed\): [0-9a-f]{64}$/m);
  });

  it('--json: batches tile the file between header and footer', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const io = captureIo();
    const file = path.join(w.dir, w.segments[0]!);
    expect(await inspectPath(file, { json: true }, io)).toBe(0);
    const doc = JSON.parse(io.stdout()) as {
      byteLength: number; batches: Array<{ offset: number; payloadBytes: number; events: number; firstSeq: number; lastSeq: number }>;
      footer: { offset: number; eventCount: number; checksumVerified: boolean }; header: { segmentId: number };
    };
    expect(doc.header.segmentId).toBe(1);
    let offset = doc.batches[0]!.offset;
    for (const b of doc.batches) {
      expect(b.offset).toBe(offset);
      expect(b.events).toBe(b.lastSeq - b.firstSeq + 1);
      offset += 76 + b.payloadBytes; // batch header + payload
    }
    expect(offset).toBe(doc.footer.offset);
    expect(doc.footer.offset + 56).toBe(doc.byteLength);
    expect(doc.footer.eventCount).toBe(doc.batches.reduce((n, b) => n + b.events, 0));
    expect(doc.footer.checksumVerified).toBe(true);
  });

  it('the active segment (no footer) and a checkpoint', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    const io = captureIo();
    expect(await inspectPath(path.join(w.dir, w.segments.at(-1)!), {}, io)).toBe(0);
    expect(io.stdout()).toMatch(/, active, decoded as active, OK$/m);
    expect(io.stdout()).toMatch(new RegExp(`^no footer: active segment, \\d+ events? up to seqno ${w.lastSeq}$`, 'm'));
    const ck = captureIo();
    expect(await inspectPath(path.join(w.dir, w.checkpoints[0]!), {}, ck)).toBe(0);
    expect(ck.stdout()).toContain(`shard 0, every event up to seqno ${w.lastSeq}, 1 item, signal types: view`);
  });

  it('a damaged segment: its header and the problem, exit 1', async () => {
    const w = await walDir(60, ONE_PER_FILE);
    flipByte(w.dir, w.segments[0]!, 150);
    const io = captureIo();
    expect(await inspectPath(path.join(w.dir, w.segments[0]!), {}, io)).toBe(1);
    expect(io.stdout()).toMatch(/, unreadable, decoded as sealed, CORRUPT$/m);
    expect(io.stdout()).toMatch(/^header: shard 0, segment 1, /m);
    expect(io.stdout()).toMatch(new RegExp(`^CORRUPT ${w.segments[0]}: .*offset`, 'm'));
  });
});
