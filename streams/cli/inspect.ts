/**
 * `tidaldb inspect DIR|FILE [--json]`: what is on disk, in the manner of
 * pg_waldump. For a directory, one row per segment, segment pack (and one
 * under it per segment it holds) and checkpoint; for one file, its header,
 * every batch and its footer (for a pack, so for each of its segments).
 * Read-only.
 */
import * as fs from 'node:fs/promises';
import { Command } from 'commander';
import type { PackCheck } from './checkPackBytes.js';
import { checkWalDir, type DirCheck, type DirFileCheck } from './checkWalDir.js';
import type { SegmentCheck } from './checkWalFile.js';
import { type CliIo, CliError, ExitCode, reportError } from './cliIo.js';
import { count, formatTable, plural, seqRange } from './formatTable.js';
import { inspectFile, type InspectOptions } from './inspectFile.js';
import type { SubcommandContext } from './subcommandContext.js';

/**
 * Inspects a directory or one `.wal`/`.wals`/`.checkpoint` file and writes the
 * report to `io.out`.
 *
 * @returns 0 when everything checks out (a torn tail open would cut off
 * counts as fine), 1 when something is CORRUPT or unreadable, 2 when the
 * path is missing or not a tidaldb file.
 */
export async function inspectPath(target: string, options: InspectOptions, io: CliIo): Promise<ExitCode> {
  try {
    const stat = await fs.stat(target).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(err.code === 'ENOENT' ? ExitCode.Usage : ExitCode.Failure, `${target}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
    });
    if (stat.isDirectory()) return printDir(await checkWalDir(target), options, io);
    if (!stat.isFile()) throw new CliError(ExitCode.Usage, `${target}: not a file or directory`);
    return await inspectFile(target, options, io);
  } catch (err) {
    return reportError(io, err);
  }
}

function printDir(result: DirCheck, options: InspectOptions, io: CliIo): ExitCode {
  const ok = result.problems.length === 0;
  if (options.json) {
    io.out.write(`${JSON.stringify({ path: result.dir, kind: 'directory', ok, files: result.files }, null, 2)}\n`);
    return ok ? ExitCode.Ok : ExitCode.Failure;
  }
  const packs = result.files.filter((f) => f.kind === 'pack');
  const packed = packs.reduce((n, p) => n + p.segments.length, 0);
  const segments = result.files.filter((f) => f.kind === 'segment').length + packed;
  const checkpoints = result.files.filter((f) => f.kind === 'checkpoint').length;
  const inPacks = packs.length > 0 ? ` (${count(packed)} in ${plural(packs.length, 'pack')})` : '';
  io.out.write(`${result.dir}: ${plural(segments, 'segment')}${inPacks}, ${plural(checkpoints, 'checkpoint')}\n`);
  if (result.files.length === 0) {
    io.out.write('no tidaldb files here (shard-*-seg-*.wal, shard-*-seg-*.wals, shard-*-seq-*.checkpoint)\n');
    return ExitCode.Ok;
  }
  io.out.write('\n');
  const table = [['FILE', 'SEQNOS', 'BYTES', 'BATCHES', 'STATE', 'CHECK'], ...result.files.flatMap(rows)];
  for (const line of formatTable(table, [2, 3])) io.out.write(`${line}\n`);
  const notes = result.files.flatMap(note);
  if (notes.length > 0) io.out.write(`\n${notes.join('\n')}\n`);
  io.out.write(`\n${ok ? `all ${plural(result.files.length, 'file')} OK` : `${result.problems.length} of ${plural(result.files.length, 'file')} CORRUPT`}\n`);
  return ok ? ExitCode.Ok : ExitCode.Failure;
}

/** A file's row; a pack's, then one row per segment in it (`  @<byte> segment <id>`). */
function rows(f: DirFileCheck): string[][] {
  if (f.kind === 'checkpoint') return [[f.file, f.seq >= 0 ? `..${f.seq}` : '-', count(f.byteLength), '-', 'checkpoint', f.status]];
  if (f.kind === 'pack') return [packRow(f), ...f.segments.map((s) => segmentRow(s, `  @${s.offset} segment ${s.segmentId}`))];
  return [segmentRow(f, f.file)];
}

function segmentRow(f: SegmentCheck, label: string): string[] {
  return [label, seqRange(f.firstSeq, f.lastSeq), count(f.byteLength), f.batchCount === null ? '-' : count(f.batchCount), f.state ?? '-', f.status];
}

function packRow(p: PackCheck): string[] {
  const first = p.segments[0]?.firstSeq ?? null;
  const last = p.segments.at(-1)?.lastSeq ?? null;
  const batches = p.segments.every((s) => s.batchCount !== null) ? count(p.segments.reduce((n, s) => n + s.batchCount!, 0)) : '-';
  return [p.file, p.segments.length === 0 ? '-' : seqRange(first, last), count(p.byteLength), batches, `pack of ${p.segments.length}`, p.status];
}

/** The line under the table for a file that is not plainly OK. */
function note(f: DirFileCheck): string[] {
  if (f.status === 'CORRUPT') return [`CORRUPT ${f.problem ?? f.file}`];
  if ((f.kind === 'segment' || f.kind === 'pack') && f.torn) {
    return [`TORN ${f.file}: torn write at offset ${f.torn.offset} (${f.torn.reason}); open cuts off ${count(f.torn.discardedBytes)} bytes`];
  }
  return [];
}

/** The commander wiring of `inspect`. */
export function inspectCommand(ctx: SubcommandContext): Command {
  return new Command('inspect')
    .summary('show the segments, segment packs and checkpoints in a directory, or the batches of one file')
    .description(
      'Show what is on disk without changing it (like pg_waldump).\n\n'
      + 'For a DIRECTORY: every segment (seqno range, bytes, batch count, sealed or active) and checkpoint, '
      + 'each decoded and checksum-verified: OK, TORN (a torn tail that open cuts off) or CORRUPT with the reason.\n'
      + 'A segment pack (.wals, where a follower keeps the segments it receives) is one row, then one row per segment in it.\n'
      + 'For one .wal FILE: the header, then each batch (offset, seqnos, event count, payload bytes, committed at), then the footer.\n'
      + 'For one .wals FILE (a segment pack): each segment in it (id, byte offset, seqnos, bytes), then each one as for a .wal file.\n'
      + 'For one .checkpoint FILE: its seqno, item count and signal types.\n\n'
      + 'Exit codes: 0 all OK, 1 something CORRUPT or unreadable, 2 bad usage or path.',
    )
    .argument('<path>', 'a database directory, or one .wal, .wals or .checkpoint file')
    .option('--json', 'print one JSON document instead of text')
    .action(async (target: string, opts: { json?: boolean }) => ctx.exit(await inspectPath(target, { json: opts.json === true }, ctx.io)));
}
