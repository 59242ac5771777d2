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

/** Reads `length` bytes at `offset` of `file`. */
export async function readRange(file: string, offset: number, length: number): Promise<Uint8Array> {
  return io(`reading ${length} bytes at ${offset} of ${file}`, async () => {
    const handle = await fs.promises.open(file, 'r');
    try {
      const out = new Uint8Array(length);
      const { bytesRead } = await handle.read(out, 0, length, offset);
      if (bytesRead !== length) throw new Error(`read ${bytesRead} bytes, expected ${length}`);
      return out;
    } finally {
      await handle.close();
    }
  });
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
