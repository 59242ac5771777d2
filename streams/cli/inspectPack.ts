/**
 * `tidaldb inspect <pack>.wals`: a segment pack (src/wal/segmentPack.ts)
 * segment by segment: a table of the segments it holds (id, byte offset,
 * bytes, seqnos, batches), then each one as `inspect` shows a `.wal` file
 * (header, every batch, footer), then what follows the last whole segment:
 * a torn append open cuts off, or corruption. A `.wal` file holding several
 * segments (`wal.packSegments`) is listed the same way; its last segment
 * may be the active one (no footer, perhaps a torn tail). Read-only; the
 * caller reads and checks the file (checkPackBytes.ts, checkWalDir.ts).
 */
import { Checksum } from '../../src/index.js';
import { FOOTER_BYTES } from '../../src/internal.js';
import type { PackCheck, PackedSegmentFindings } from './checkPackBytes.js';
import type { WrittenFileCheck } from './checkWrittenBytes.js';
import { type CliIo, ExitCode } from './cliIo.js';
import type { InspectOptions } from './inspectFile.js';
import { count, formatTable, isoTime, plural, seqRange } from './formatTable.js';
import { batchRows, describeHeader } from './segmentListing.js';

/** A packed segment as listed: its check, header, batches (offsets from the segment's start) and footer. */
function listing(bytes: Uint8Array, { check, decoded, header }: PackedSegmentFindings) {
  const own = bytes.subarray(check.offset, check.offset + check.byteLength);
  const footer = decoded?.footer
    ? { offset: own.length - FOOTER_BYTES, eventCount: decoded.footer.eventCount, lastSeq: decoded.footer.lastSeq, sealedAtMs: decoded.footer.sealedAtMs,
      checksum: Buffer.from(own.subarray(own.length - 32)).toString('hex'), checksumVerified: true }
    : null;
  return { ...check, header, batches: decoded ? batchRows(decoded, own.length) : [], footer, blake3: Checksum.of(own).toHex() };
}

/**
 * Prints the pack (or the `.wal` file holding several segments); exit 1 when
 * it or a segment in it is CORRUPT, 0 otherwise (a torn append on the newest
 * pack or `.wal` file, a torn tail of the active segment, is what open cuts off).
 */
export function printPack(
  file: string, bytes: Uint8Array,
  { check, segments, tailProblem }: { check: PackCheck | WrittenFileCheck; segments: readonly PackedSegmentFindings[]; tailProblem: string | null },
  options: InspectOptions, io: CliIo,
): ExitCode {
  const code = check.status === 'CORRUPT' ? ExitCode.Failure : ExitCode.Ok;
  const listed = segments.map((s) => listing(bytes, s));
  if (options.json) {
    io.out.write(`${JSON.stringify({ path: file, ...check, segments: listed, blake3: Checksum.of(bytes).toHex() }, null, 2)}\n`);
    return code;
  }
  const say = (line = ''): void => void io.out.write(`${line}\n`);
  const what = check.kind === 'pack' ? 'pack' : '.wal file';
  say(`${check.kind === 'pack' ? 'pack' : 'file'} ${file}: ${count(bytes.length)} bytes, ${plural(segments.length, 'segment')}, `
    + `${check.newest ? 'the newest' : 'an older'} ${what} of shard ${check.shardId}, ${check.status}`);
  if (listed.length > 0) {
    say();
    const rows = [['SEGMENT', 'AT BYTE', 'BYTES', 'SEQNOS', 'BATCHES', 'STATE', 'CHECK'], ...listed.map((s) => [
      String(s.segmentId), String(s.offset), count(s.byteLength), seqRange(s.firstSeq, s.lastSeq),
      s.batchCount === null ? '-' : count(s.batchCount), s.state ?? '-', s.status])];
    for (const line of formatTable(rows, [0, 1, 2, 4])) say(line);
  }
  for (const s of listed) {
    say();
    say(`segment ${s.segmentId} at byte ${s.offset}: ${count(s.byteLength)} bytes, ${s.state ?? 'unreadable'}, decoded as ${s.mode}, ${s.status}`);
    if (s.header) say(`header: ${describeHeader(s.header)}`);
    if (s.problem) say(`CORRUPT ${s.problem}`);
    if (s.batches.length > 0) {
      const rows = [['OFFSET', 'SEQNOS', 'EVENTS', 'PAYLOAD BYTES', 'COMMITTED AT'],
        ...s.batches.map((b) => [String(b.offset), seqRange(b.firstSeq, b.lastSeq), count(b.events), count(b.payloadBytes), isoTime(b.committedAtMs)])];
      for (const line of formatTable(rows, [0, 2, 3])) say(`  ${line}`);
    }
    if (s.torn) say(`torn write at offset ${s.torn.offset} (${s.torn.reason}): open cuts off ${count(s.torn.discardedBytes)} bytes`);
    if (s.footer) {
      say(`footer at offset ${s.footer.offset}: ${plural(s.footer.eventCount, 'event')}, last seqno ${s.footer.lastSeq}, sealed at ${isoTime(s.footer.sealedAtMs)}, segment checksum OK`);
    } else if (s.state === 'active') {
      say(`no footer: active segment, ${plural(s.eventCount ?? 0, 'event')} up to seqno ${s.lastSeq}`);
    }
    say(`BLAKE3 of the segment${s.footer ? ' (the shipped checksum)' : ''}: ${s.blake3}`);
  }
  if (check.torn || tailProblem) say();
  if (check.torn) say(`torn append at byte ${check.torn.offset} (${check.torn.reason}): open cuts off ${count(check.torn.discardedBytes)} bytes`);
  if (tailProblem) say(`CORRUPT ${tailProblem}`);
  return code;
}
