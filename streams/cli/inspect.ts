/**
 * `tidaldb inspect DIR|FILE [--json]`: what is on disk, in the manner of
 * pg_waldump. For a directory, one row per segment and checkpoint; for one
 * file, its header, every batch and its footer. Read-only.
 */
import * as fs from 'node:fs/promises';
import { Command } from 'commander';
import { checkWalDir, type DirCheck } from './checkWalDir.js';
import type { FileCheck } from './checkWalFile.js';
import { type CliIo, CliError, ExitCode, reportError } from './cliIo.js';
import { count, formatTable, plural, seqRange } from './formatTable.js';
import { inspectFile, type InspectOptions } from './inspectFile.js';
import type { SubcommandContext } from './subcommandContext.js';

/**
 * Inspects a directory or one `.wal`/`.checkpoint` file and writes the
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
  const segments = result.files.filter((f) => f.kind === 'segment').length;
  const checkpoints = result.files.length - segments;
  io.out.write(`${result.dir}: ${plural(segments, 'segment')}, ${plural(checkpoints, 'checkpoint')}\n`);
  if (result.files.length === 0) {
    io.out.write('no tidaldb files here (shard-*-seg-*.wal, shard-*-seq-*.checkpoint)\n');
    return ExitCode.Ok;
  }
  io.out.write('\n');
  const rows = [['FILE', 'SEQNOS', 'BYTES', 'BATCHES', 'STATE', 'CHECK'], ...result.files.map(row)];
  for (const line of formatTable(rows, [2, 3])) io.out.write(`${line}\n`);
  const notes = result.files.flatMap(note);
  if (notes.length > 0) io.out.write(`\n${notes.join('\n')}\n`);
  io.out.write(`\n${ok ? `all ${plural(result.files.length, 'file')} OK` : `${result.problems.length} of ${plural(result.files.length, 'file')} CORRUPT`}\n`);
  return ok ? ExitCode.Ok : ExitCode.Failure;
}

function row(f: FileCheck): string[] {
  if (f.kind === 'checkpoint') return [f.file, f.seq >= 0 ? `..${f.seq}` : '-', count(f.byteLength), '-', 'checkpoint', f.status];
  return [f.file, seqRange(f.firstSeq, f.lastSeq), count(f.byteLength), f.batchCount === null ? '-' : count(f.batchCount), f.state ?? '-', f.status];
}

/** The line under the table for a file that is not plainly OK. */
function note(f: FileCheck): string[] {
  if (f.status === 'CORRUPT') return [`CORRUPT ${f.problem ?? f.file}`];
  if (f.kind === 'segment' && f.torn) {
    return [`TORN ${f.file}: torn write at offset ${f.torn.offset} (${f.torn.reason}); open cuts off ${count(f.torn.discardedBytes)} bytes`];
  }
  return [];
}

/** The commander wiring of `inspect`. */
export function inspectCommand(ctx: SubcommandContext): Command {
  return new Command('inspect')
    .summary('show the segments and checkpoints in a directory, or the batches of one file')
    .description(
      'Show what is on disk without changing it (like pg_waldump).\n\n'
      + 'For a DIRECTORY: every segment (seqno range, bytes, batch count, sealed or active) and checkpoint, '
      + 'each decoded and checksum-verified: OK, TORN (a torn tail that open cuts off) or CORRUPT with the reason.\n'
      + 'For one .wal FILE: the header, then each batch (offset, seqnos, event count, payload bytes, committed at), then the footer.\n'
      + 'For one .checkpoint FILE: its seqno, item count and signal types.\n\n'
      + 'Exit codes: 0 all OK, 1 something CORRUPT or unreadable, 2 bad usage or path.',
    )
    .argument('<path>', 'a database directory, or one .wal or .checkpoint file')
    .option('--json', 'print one JSON document instead of text')
    .action(async (target: string, opts: { json?: boolean }) => ctx.exit(await inspectPath(target, { json: opts.json === true }, ctx.io)));
}
