/**
 * The tidaldb files in a directory, named as docs/wal-format.md says:
 * `shard-<10 digits>-seg-<20 digits>.wal`,
 * `shard-<10 digits>-seg-<20 digits>.wals` (a segment pack: several sealed
 * segments back to back, named after the first; src/wal/segmentPack.ts) and
 * `shard-<10 digits>-seq-<20 digits>.checkpoint`. Anything else (including
 * the `.tmp` files an interrupted atomic write leaves) is not listed, as
 * open ignores it too.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseCheckpointFileName, parsePackFileName, parseSegmentFileName } from '../../src/internal.js';
import { CliError, ExitCode } from './cliIo.js';

export interface SegmentFile {
  readonly kind: 'segment';
  readonly name: string;
  readonly path: string;
  readonly shardId: number;
  readonly segmentId: number;
}

export interface CheckpointFile {
  readonly kind: 'checkpoint';
  readonly name: string;
  readonly path: string;
  readonly shardId: number;
  /** The seqno in the file name. */
  readonly seq: number;
}

export interface PackFile {
  readonly kind: 'pack';
  readonly name: string;
  readonly path: string;
  readonly shardId: number;
  /** The id of its first segment, from the file name. */
  readonly firstSegmentId: number;
}

export type WalFile = SegmentFile | PackFile | CheckpointFile;

/** Classifies one file name, or null when it is not a tidaldb file. */
export function walFile(dir: string, name: string): WalFile | null {
  const seg = parseSegmentFileName(name);
  if (seg) return { kind: 'segment', name, path: path.join(dir, name), ...seg };
  const pack = parsePackFileName(name);
  if (pack) return { kind: 'pack', name, path: path.join(dir, name), ...pack };
  const ck = parseCheckpointFileName(name);
  if (ck) return { kind: 'checkpoint', name, path: path.join(dir, name), ...ck };
  return null;
}

/**
 * Every tidaldb file in `dir`, sorted by name (which is log order within a
 * shard for `.wal` files and for packs, checkpoints after segments; a
 * shard's `.wal` files and packs interleave by segment id, which
 * checkWalDir sorts out). Reads the directory only.
 *
 * @throws CliError `Usage` when `dir` is missing or not a directory.
 */
export async function listWalFiles(dir: string): Promise<WalFile[]> {
  await requireDirectory(dir);
  const names = (await fs.readdir(dir)).sort();
  return names.map((n) => walFile(dir, n)).filter((f): f is WalFile => f !== null);
}

/** Throws a usage error unless `dir` exists and is a directory. */
export async function requireDirectory(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new CliError(ExitCode.Usage, `${dir}: no such directory`);
    throw new CliError(ExitCode.Failure, `${dir}: ${err.message}`, { cause: err });
  });
  if (!stat.isDirectory()) throw new CliError(ExitCode.Usage, `${dir}: not a directory`);
}
