/**
 * File-system calls as the WAL makes them: every failure becomes a `WalError`
 * `Io` naming what was being done, with the system error as its cause.
 */
import * as fs from 'node:fs';
import { WalError } from '../errors.js';

export async function io<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw cause instanceof WalError ? cause : new WalError('Io', `${what} failed: ${(cause as Error).message}`, { cause });
  }
}

export function ioSync<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw cause instanceof WalError ? cause : new WalError('Io', `${what} failed: ${(cause as Error).message}`, { cause });
  }
}

/** fdatasync(2) as a Promise. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** The files in `dir` that `parse` recognises as the shard's, as `[name, first segment id]`, oldest first. */
export async function shardFiles(
  dir: string, shardId: number, parse: (name: string) => { shardId: number; segmentId: number } | null,
): Promise<Array<readonly [string, number]>> {
  const names = await io(`listing ${dir}`, () => fs.promises.readdir(dir));
  return names.flatMap((name): Array<readonly [string, number]> => {
    const p = parse(name);
    return p !== null && p.shardId === shardId ? [[name, p.segmentId]] : [];
  }).sort((a, b) => a[1] - b[1]);
}

/**
 * The whole bytes of the file read last, so that reading a file's segments
 * one after another (recovery, a follower catching up from disk) reads the
 * file once instead of opening it once per segment: opening 20,000 small
 * segments packed into two files took 8 s, nearly all of it per-segment
 * open/read/close (profiled). Holds one file (about `wal.maxSegmentBytes`);
 * any write to a file this class serves must call `forget()` first.
 */
export class LastFileBytes {
  private file: string | null = null;
  private bytes: Uint8Array | null = null;
  /** Moves on every forget(): a read that was in flight across a write does not keep what it read. */
  private generation = 0;

  /** `length` bytes at `offset` of `file`, as a copy. */
  async read(file: string, offset: number, length: number): Promise<Uint8Array> {
    let bytes = this.file === file ? this.bytes : null;
    if (bytes === null || offset + length > bytes.length) {
      const generation = this.generation;
      bytes = await io(`reading ${file}`, () => fs.promises.readFile(file));
      if (generation === this.generation) {
        this.file = file;
        this.bytes = bytes;
      }
    }
    if (offset + length > bytes.length) {
      throw new WalError('Io', `reading ${length} bytes at ${offset} of ${file} failed: the file holds ${bytes.length} bytes`);
    }
    return bytes.slice(offset, offset + length);
  }

  /** Before any write to, cut of or removal of a file this cache may hold. */
  forget(): void {
    this.generation++;
    this.file = null;
    this.bytes = null;
  }
}
