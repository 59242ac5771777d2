/**
 * `tidaldb verify DIR`: are this directory's segments and checkpoints intact?
 * Decodes every segment (the last of each shard as active, the others as
 * sealed) and every checkpoint, and checks the seqnos run on without a gap.
 * Opens nothing for write.
 */
import { Command } from 'commander';
import { checkWalDir } from './checkWalDir.js';
import type { FileCheck } from './checkWalFile.js';
import { type CliIo, ExitCode, reportError } from './cliIo.js';
import { count, plural } from './formatTable.js';
import type { SubcommandContext } from './subcommandContext.js';

/**
 * Verifies `dir` and prints `OK: …` or the first problem found.
 *
 * @returns 0 when everything verifies (a torn tail open would cut off is
 * reported and still counts as fine), 1 when something is corrupt or
 * unreadable, 2 when `dir` is missing or not a directory.
 *
 * @example
 * await verifyDir('/var/lib/tidaldb', io);
 * // OK: /var/lib/tidaldb: 3 segments (seqnos 1..612), 1 checkpoint (seqno 612)
 */
export async function verifyDir(dir: string, io: CliIo): Promise<ExitCode> {
  try {
    const { files, problems } = await checkWalDir(dir);
    const first = problems[0];
    if (first !== undefined) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more: run tidaldb inspect ${dir})` : '';
      io.out.write(`CORRUPT: ${first.problem ?? first.file}${more}\n`);
      return ExitCode.Failure;
    }
    for (const f of files) {
      if (f.kind === 'segment' && f.torn) {
        io.out.write(`note: ${f.file} ends in a torn write at offset ${f.torn.offset} (${f.torn.reason}); open cuts off ${count(f.torn.discardedBytes)} bytes\n`);
      }
    }
    io.out.write(`OK: ${dir}: ${summary(files)}\n`);
    return ExitCode.Ok;
  } catch (err) {
    return reportError(io, err);
  }
}

function summary(files: readonly FileCheck[]): string {
  if (files.length === 0) return 'no segments or checkpoints (nothing to verify)';
  const segments = files.filter((f) => f.kind === 'segment');
  const checkpoints = files.filter((f) => f.kind === 'checkpoint');
  const firsts = segments.map((s) => s.firstSeq).filter((n) => n !== null);
  const lasts = segments.map((s) => s.lastSeq).filter((n) => n !== null);
  const range = firsts.length > 0 && lasts.length > 0 ? ` (seqnos ${Math.min(...firsts)}..${Math.max(...lasts)})` : '';
  const seqs = checkpoints.map((c) => c.seq).join(', ');
  return `${plural(segments.length, 'segment')}${range}, ${plural(checkpoints.length, 'checkpoint')}${seqs ? ` (seqno ${seqs})` : ''}`;
}

/** The commander wiring of `verify`. */
export function verifyCommand(ctx: SubcommandContext): Command {
  return new Command('verify')
    .summary('check every segment and checkpoint in a directory; exit 1 on corruption')
    .description(
      'Check a database directory without opening anything for write: decode every segment '
      + '(the last one of each shard as the active segment, the others as sealed), verify every BLAKE3 checksum, '
      + 'decode every checkpoint, and check that the seqnos continue without a gap.\n'
      + 'Prints "OK: ..." or the first problem found.\n\n'
      + 'Exit codes: 0 all intact, 1 corruption found (or a file unreadable), 2 bad usage (missing dir, not a dir).',
    )
    .argument('<dir>', 'the database directory')
    .action(async (dir: string) => ctx.exit(await verifyDir(dir, ctx.io)));
}
