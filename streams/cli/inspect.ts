/**
 * `tidaldb inspect DIR|FILE [--json]`: what is on disk, in the manner of
 * pg_waldump. For a directory, one row per segment, `.wal` file holding
 * several segments or segment pack (and one under it per segment it holds)
 * and checkpoint; for one file, its header, every batch and its footer (for
 * a pack or a `.wal` file holding several, so for each of its segments).
 * Read-only.
 */
import * as fs from 'node:fs/promises';
import { Command } from 'commander';
import type { PackCheck } from './checkPackBytes.js';
import { checkWalDir, type DirCheck, type DirFileCheck, tornWrites } from './checkWalDir.js';
import type { SegmentCheck } from './checkWalFile.js';
import type { WrittenFileCheck } from './checkWrittenBytes.js';
import { type CliIo, CliError, ExitCode, reportError } from './cliIo.js';
import { count, formatTable, plural, seqRange } from './formatTable.js';
import { inspectFile, type InspectOptions } from './inspectFile.js';
import { segmentPlaces, segmentsOf } from './segmentPlaces.js';
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
  const segments = result.files.flatMap(segmentsOf).length;
  const checkpoints = result.files.filter((f) => f.kind === 'checkpoint').length;
  const places = segmentPlaces(result.files);
  io.out.write(`${result.dir}: ${plural(segments, 'segment')}${places.length > 0 ? ` (${places.join('; ')})` : ''}, ${plural(checkpoints, 'checkpoint')}\n`);
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

/** A file's row; a pack's or a `.wal` file's holding several segments, then one row per segment in it (`  @<byte> segment <id>`). */
function rows(f: DirFileCheck): string[][] {
  if (f.kind === 'checkpoint') return [[f.file, f.seq >= 0 ? `..${f.seq}` : '-', count(f.byteLength), '-', 'checkpoint', f.status]];
  if (f.kind === 'segment') return [segmentRow(f, f.file)];
  const state = f.kind === 'pack' ? `pack of ${f.segments.length}` : plural(f.segments.length, 'segment');
  return [filesRow(f, state), ...f.segments.map((s) => segmentRow(s, `  @${s.offset} segment ${s.segmentId}`))];
}

function segmentRow(f: SegmentCheck, label: string): string[] {
  return [label, seqRange(f.firstSeq, f.lastSeq), count(f.byteLength), f.batchCount === null ? '-' : count(f.batchCount), f.state ?? '-', f.status];
}

/** The row of a file holding several segments: the seqnos from its first to its last, all their batches. */
function filesRow(p: PackCheck | WrittenFileCheck, state: string): string[] {
  const first = p.segments[0]?.firstSeq ?? null;
  const last = p.segments.at(-1)?.lastSeq ?? null;
  const batches = p.segments.every((s) => s.batchCount !== null) ? count(p.segments.reduce((n, s) => n + s.batchCount!, 0)) : '-';
  return [p.file, p.segments.length === 0 ? '-' : seqRange(first, last), count(p.byteLength), batches, state, p.status];
}

/** The line under the table for a file that is not plainly OK. */
function note(f: DirFileCheck): string[] {
  if (f.status === 'CORRUPT') return [`CORRUPT ${f.problem ?? f.file}`];
  return tornWrites(f).map(({ where, torn }) => `TORN ${where}: torn write at offset ${torn.offset} (${torn.reason}); open cuts off ${count(torn.discardedBytes)} bytes`);
}

/** The commander wiring of `inspect`. */
export function inspectCommand(ctx: SubcommandContext): Command {
  return new Command('inspect')
    .summary('show the segments, segment packs and checkpoints in a directory, or the batches of one file')
    .description(
      'Show what is on disk without changing it (like pg_waldump).\n\n'
      + 'For a DIRECTORY: every segment (seqno range, bytes, batch count, sealed or active) and checkpoint, '
      + 'each decoded and checksum-verified: OK, TORN (a torn tail that open cuts off) or CORRUPT with the reason.\n'
      + 'A .wal file holding several segments, and a segment pack (.wals, where a follower keeps the segments it receives), '
      + 'is one row, then one row per segment in it.\n'
      + 'For one .wal FILE: the header, then each batch (offset, seqnos, event count, payload bytes, committed at), then the footer; '
      + 'for a .wal file holding several segments, each segment in it as for a .wals file.\n'
      + 'For one .wals FILE (a segment pack): each segment in it (id, byte offset, seqnos, bytes), then each one as for a .wal file.\n'
      + 'For one .checkpoint FILE: its seqno, item count and signal types.\n\n'
      + 'Exit codes: 0 all OK, 1 something CORRUPT or unreadable, 2 bad usage or path.',
    )
    .argument('<path>', 'a database directory, or one .wal, .wals or .checkpoint file')
    .option('--json', 'print one JSON document instead of text')
    .action(async (target: string, opts: { json?: boolean }) => ctx.exit(await inspectPath(target, { json: opts.json === true }, ctx.io)));
}
