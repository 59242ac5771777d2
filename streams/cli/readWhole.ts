/**
 * Reads one file whole, read-only, with a bound on its size: what `verify`
 * and `inspect` do with every segment, pack and checkpoint file.
 */
import * as fs from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import { CliError, ExitCode } from './cliIo.js';

/**
 * Largest file read whole: Node's Buffer limit (4 GiB on 64-bit). A
 * segment is at most `wal.maxSegmentBytes` (≤ 2 GiB) plus one batch; a
 * pack takes segments until it holds `wal.maxSegmentBytes`, so at most that
 * plus one segment.
 */
export const MAX_FILE_BYTES = bufferConstants.MAX_LENGTH;

/** Reads a whole file (read-only), refusing one past {@link MAX_FILE_BYTES}. */
export async function readWhole(file: string): Promise<Uint8Array> {
  try {
    const { size } = await fs.stat(file);
    if (size > MAX_FILE_BYTES) throw new CliError(ExitCode.Failure, `${file}: ${size} bytes, more than the ${MAX_FILE_BYTES} bytes a file can be read in one piece`);
    return await fs.readFile(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(ExitCode.Failure, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
