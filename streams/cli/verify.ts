/**
 * `tidaldb verify DIR`: are this directory's segments and checkpoints intact?
 * Decodes every segment (each `.wal` file split into its segments as open
 * splits it; the last segment of each shard as active, the others and every
 * segment in a segment pack as sealed) and every checkpoint, and checks the
 * seqnos run on without a gap, in segment id order across `.wal` files and
 * packs. What open cuts off or removes (a torn tail, a torn appended header
 * on the newest `.wal` file or pack, a segment written after a seal whose
 * footer was lost) is a note; any other damage is corruption naming the
 * file and, inside a shared file, the segment's byte. Opens nothing for write.
 */
import * as fs from 'node:fs/promises';
import { Command } from 'commander';
import { checkWalDir, type DirFileCheck, tornWrites } from './checkWalDir.js';
import { type CliIo, CliError, ExitCode, reportError } from './cliIo.js';
import { count, plural } from './formatTable.js';
import { segmentPlaces, segmentsOf } from './segmentPlaces.js';
import type { SubcommandContext } from './subcommandContext.js';

/**
 * Verifies `dir` and prints `OK: …` or the first problem found.
 *
 * @returns 0 when everything verifies (a torn tail open would cut off is
 * reported and still counts as fine), 1 when something is corrupt or
 * unreadable, 2 when `dir` is missing, not a directory, or holds no
 * segment or checkpoint (empty, or a mistyped path: nothing was verified).
 *
 * @example
 * await verifyDir('/var/lib/tidaldb', io);
 * // OK: /var/lib/tidaldb: 3 segments (seqnos 1..612), 1 checkpoint (seqno 612)
 */
export async function verifyDir(dir: string, io: CliIo): Promise<ExitCode> {
  try {
    const { files, problems } = await checkWalDir(dir);
    if (files.length === 0) throw await nothingToVerify(dir);
    const first = problems[0];
    if (first !== undefined) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more: run tidaldb inspect ${dir})` : '';
      io.out.write(`CORRUPT: ${first.problem ?? first.file} (in ${dir})${more}\n`);
      io.err.write(`${corruptionNextStep(dir)}\n`); // stdout stays the one result line
      return ExitCode.Failure;
    }
    for (const { where, torn } of files.flatMap(tornWrites)) {
      io.out.write(`note: ${where} ends in a torn write at offset ${torn.offset} (${torn.reason}); open cuts off ${count(torn.discardedBytes)} bytes\n`);
    }
    io.out.write(`OK: ${dir}: ${summary(files)}\n`);
    return ExitCode.Ok;
  } catch (err) {
    return reportError(io, err);
  }
}

/**
 * What to do about a corrupt directory: a replica is rebuilt from its
 * leader; a leader's history is restored or handed over to a follower.
 */
export function corruptionNextStep(dir: string): string {
  return `next step: if ${dir} is a replica, rebuild it from its leader: tidaldb follower --dir ${dir} --rebuild (with its usual --connect, --peer); `
    + 'if it is a leader, restore it from a backup or promote a healthy follower (docs/runbook-promotion.md)';
}

/** A directory with no segment or checkpoint: empty, or not a database directory at all (a mistyped path). */
async function nothingToVerify(dir: string): Promise<CliError> {
  const others = (await fs.readdir(dir).catch(() => [])).filter((n) => n !== 'LOCK' && n !== 'LOCK.owner').length;
  const what = others === 0 ? 'it is empty' : `it holds ${others === 1 ? '1 entry' : `${others} entries`}, none of them a tidaldb segment or checkpoint`;
  return new CliError(ExitCode.Usage, `${dir}: not a tidaldb database directory: ${what} (nothing verified; check the path: `
    + 'a database directory holds shard-<n>-seg-<n>.wal files)');
}

/**
 * `5 segments (seqnos 1..612), 1 checkpoint (seqno 612)`; with `.wal` files
 * holding several segments, `8 segments (seqnos 1..612; 8 in 4 .wal files), …`;
 * with packs, `5 segments (seqnos 1..612; 4 in 2 packs), …`.
 */
function summary(files: readonly DirFileCheck[]): string {
  const segments = files.flatMap(segmentsOf);
  const checkpoints = files.filter((f) => f.kind === 'checkpoint');
  const kept = segments.filter((s) => !(s.torn && s.torn.offset === 0 && s.torn.discardedBytes === s.byteLength)); // not those open removes
  const firsts = kept.map((s) => s.firstSeq).filter((n) => n !== null);
  const lasts = kept.map((s) => s.lastSeq).filter((n) => n !== null);
  const range = firsts.length > 0 && lasts.length > 0 ? `seqnos ${Math.min(...firsts)}..${Math.max(...lasts)}` : '';
  const about = [range, ...segmentPlaces(files)].filter((s) => s !== '').join('; ');
  const seqs = checkpoints.map((c) => c.seq).join(', ');
  return `${plural(segments.length, 'segment')}${about ? ` (${about})` : ''}, ${plural(checkpoints.length, 'checkpoint')}${seqs ? ` (seqno ${seqs})` : ''}`;
}

/** The commander wiring of `verify`. */
export function verifyCommand(ctx: SubcommandContext): Command {
  return new Command('verify')
    .summary('check every segment, segment pack and checkpoint in a directory; exit 1 on corruption')
    .description(
      'Check a database directory without opening anything for write: decode every segment '
      + '(a .wal file may hold several, back to back: each is checked; the last segment of each shard as the active segment, '
      + 'the others as sealed), every segment in a segment pack (.wals, a follower\'s) as sealed, verify every BLAKE3 checksum, '
      + 'decode every checkpoint, and check that the seqnos continue without a gap, in segment id order.\n'
      + 'What open cuts off or removes (a torn tail, a torn append at the end of the newest .wal file or pack, '
      + 'a segment written after a seal whose footer was lost) is reported as a note; '
      + 'any other damage is corruption, named by file and byte.\n'
      + 'Prints "OK: ..." or the first problem found.\n\n'
      + 'Exit codes: 0 all intact, 1 corruption found (or a file unreadable), 2 bad usage (missing dir, not a dir, '
      + 'a dir with no segment or checkpoint: empty or a mistyped path).',
    )
    .argument('<dir>', 'the database directory')
    .action(async (dir: string) => ctx.exit(await verifyDir(dir, ctx.io)));
}
