/**
 * `tidaldb inspect FILE`: one segment batch by batch (header, each batch,
 * footer), one segment pack or `.wal` file holding several segments segment
 * by segment (inspectPack.ts), or one checkpoint. Read-only.
 */
import * as path from 'node:path';
import { Checksum } from '../../src/index.js';
import { type DecodedSegment, FOOTER_BYTES, type SegmentHeader } from '../../src/internal.js';
import { checkPackBytes, type PackedSegmentFindings } from './checkPackBytes.js';
import { checkWalDir, readWhole } from './checkWalDir.js';
import { type CheckpointCheck, checkCheckpointBytes, checkSegmentBytes, type SegmentCheck, type SegmentMode } from './checkWalFile.js';
import { isOneSegment, splitWrittenFile, type WrittenFileCheck, type WrittenLayout } from './checkWrittenBytes.js';
import { type CliIo, CliError, ExitCode } from './cliIo.js';
import { count, formatTable, isoTime, plural, seqRange } from './formatTable.js';
import { printPack } from './inspectPack.js';
import { batchRows, describeHeader } from './segmentListing.js';
import { listWalFiles, walFile } from './walFiles.js';

export type { BatchRow } from './segmentListing.js';
export { batchRows } from './segmentListing.js';

/** How `tidaldb inspect` reports (the subcommand, inspect.ts, passes them on). */
export interface InspectOptions {
  /** One JSON document on `out` instead of text. */
  readonly json?: boolean;
}

/** Inspects one file; the kind comes from its name, or from its magic when it was renamed. */
export async function inspectFile(file: string, options: InspectOptions, io: CliIo): Promise<ExitCode> {
  const bytes = await readWhole(file);
  const named = walFile(path.dirname(file), path.basename(file));
  const name = path.basename(file);
  const magic = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  if (named?.kind === 'checkpoint' || (named === null && magic === 'TDCK')) {
    const shardId = named?.shardId ?? (bytes.length >= 12 ? Buffer.from(bytes).readUInt32LE(8) : 0);
    return printCheckpoint(file, checkCheckpointBytes(bytes, name, shardId, named?.kind === 'checkpoint' ? named.seq : null), options, io);
  }
  if (named?.kind === 'pack') {
    const newest = !(await listWalFiles(path.dirname(file))).some((f) => f.kind === 'pack' && f.shardId === named.shardId && f.firstSegmentId > named.firstSegmentId);
    return printPack(file, bytes, checkPackBytes(bytes, name, named, newest), options, io);
  }
  if (named === null && magic !== 'TDWS') {
    throw new CliError(ExitCode.Usage, `${file}: not a tidaldb segment or checkpoint (starts with ${JSON.stringify(magic)}, expected "TDWS" or "TDCK")`);
  }
  if (named?.kind === 'segment') {
    const newest = !(await listWalFiles(path.dirname(file))).some((f) => f.kind === 'segment' && f.shardId === named.shardId && f.segmentId > named.segmentId);
    const layout = splitWrittenFile(bytes, name, named.segmentId, newest);
    if (!isOneSegment(layout)) return printPack(file, bytes, await judgedInDir(file, bytes, layout), options, io);
  }
  const mode = named?.kind === 'segment' ? await segmentMode(file, named.shardId, named.segmentId) : 'active';
  const { check, decoded, header } = checkSegmentBytes(bytes, name, mode, named?.kind === 'segment' ? named : null);
  return printSegment(file, bytes, { check, decoded, header }, options, io);
}

/**
 * 'active' when the file is its shard's last segment in its directory (as
 * open reads it), else 'sealed'. A pack named after a later segment holds
 * later ones (a pack's segments follow its first one).
 */
async function segmentMode(file: string, shardId: number, segmentId: number): Promise<SegmentMode> {
  const siblings = await listWalFiles(path.dirname(file));
  const later = (f: (typeof siblings)[number]): boolean => f.shardId === shardId
    && ((f.kind === 'segment' && f.segmentId > segmentId) || (f.kind === 'pack' && f.firstSegmentId > segmentId));
  return siblings.some(later) ? 'sealed' : 'active';
}

/**
 * A `.wal` file holding several segments, judged as `verify` judges it in
 * its directory (which of its segments is the active one, or one open
 * removes, depends on the whole log), each segment decoded again for its
 * batches.
 */
async function judgedInDir(
  file: string, bytes: Uint8Array, layout: WrittenLayout,
): Promise<{ check: WrittenFileCheck; segments: PackedSegmentFindings[]; tailProblem: string | null }> {
  const name = path.basename(file);
  const check = (await checkWalDir(path.dirname(file))).files.find((f): f is WrittenFileCheck => f.kind === 'segments' && f.file === name);
  if (check === undefined) throw new CliError(ExitCode.Failure, `${file}: changed while it was read (its segments are no longer where they were)`);
  const segments = check.segments.map((s): PackedSegmentFindings => {
    const own = bytes.subarray(s.offset, s.offset + s.byteLength);
    const { decoded, header } = checkSegmentBytes(own, s.file, s.mode, { shardId: check.shardId, segmentId: s.segmentId ?? 0 });
    return { check: s, decoded, header };
  });
  return { check, segments, tailProblem: layout.tailProblem };
}

interface SegmentFindings {
  readonly check: SegmentCheck;
  readonly decoded: DecodedSegment | null;
  /** The header when it could be read, even if the rest could not. */
  readonly header: SegmentHeader | null;
}

function printSegment(file: string, bytes: Uint8Array, { check, decoded, header }: SegmentFindings, options: InspectOptions, io: CliIo): ExitCode {
  const code = check.status === 'CORRUPT' ? ExitCode.Failure : ExitCode.Ok;
  const batches = decoded ? batchRows(decoded, bytes.length) : [];
  const footerOffset = bytes.length - FOOTER_BYTES;
  // The footer's last 32 bytes are the segment checksum (docs/wal-format.md, Footer).
  const footer = decoded?.footer
    ? { offset: footerOffset, eventCount: decoded.footer.eventCount, lastSeq: decoded.footer.lastSeq, sealedAtMs: decoded.footer.sealedAtMs,
      checksum: Buffer.from(bytes.subarray(bytes.length - 32)).toString('hex'), checksumVerified: true }
    : null;
  const wholeFile = Checksum.of(bytes).toHex();
  if (options.json) {
    const doc = { path: file, ...check, header, batches, footer, blake3: wholeFile };
    io.out.write(`${JSON.stringify(doc, null, 2)}\n`);
    return code;
  }
  const say = (line = ''): void => void io.out.write(`${line}\n`);
  say(`segment ${file}: ${count(bytes.length)} bytes, ${check.state ?? 'unreadable'}, decoded as ${check.mode}, ${check.status}`);
  if (header) say(`header: ${describeHeader(header)}${decoded ? `; batches start at offset ${batches[0]?.offset ?? decoded.validLength}` : ''}`);
  if (check.problem) say(`CORRUPT ${check.problem}`);
  if (batches.length > 0) {
    say();
    const rows = [['OFFSET', 'SEQNOS', 'EVENTS', 'PAYLOAD BYTES', 'COMMITTED AT'],
      ...batches.map((b) => [String(b.offset), seqRange(b.firstSeq, b.lastSeq), count(b.events), count(b.payloadBytes), isoTime(b.committedAtMs)])];
    for (const line of formatTable(rows, [0, 2, 3])) say(line);
    say();
  }
  if (check.torn) say(`torn write at offset ${check.torn.offset} (${check.torn.reason}): open cuts off ${count(check.torn.discardedBytes)} bytes`);
  if (footer) {
    say(`footer at offset ${footer.offset}: ${plural(footer.eventCount, 'event')}, last seqno ${footer.lastSeq}, sealed at ${isoTime(footer.sealedAtMs)}, segment checksum OK`);
  } else if (decoded) {
    say(`no footer: active segment, ${plural(check.eventCount ?? 0, 'event')} up to seqno ${check.lastSeq}`);
  }
  say(`BLAKE3 of the whole file (the shipped checksum when sealed): ${wholeFile}`);
  return code;
}

function printCheckpoint(file: string, check: CheckpointCheck, options: InspectOptions, io: CliIo): ExitCode {
  const code = check.status === 'OK' ? ExitCode.Ok : ExitCode.Failure;
  if (options.json) {
    io.out.write(`${JSON.stringify({ path: file, ...check }, null, 2)}\n`);
    return code;
  }
  io.out.write(`checkpoint ${file}: ${count(check.byteLength)} bytes, ${check.status}\n`);
  if (check.status === 'OK') {
    io.out.write(`shard ${check.shardId}, every event up to seqno ${check.seq}, ${plural(check.items ?? 0, 'item')}, `
      + `signal types: ${check.signalTypes?.length ? check.signalTypes.join(', ') : '(none)'}\n`);
  } else {
    io.out.write(`CORRUPT ${check.problem}\n`);
  }
  return code;
}
