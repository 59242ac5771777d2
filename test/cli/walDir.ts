/**
 * A small database directory for the CLI tests: several sealed segments
 * (1 KiB each), an active one, and a checkpoint, written by TidalDb itself.
 * By default two segments share each `.wal` file (`wal.packSegments`);
 * `{ packSegments: false }` gives every segment a file of its own, the
 * layout before packing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TidalDb } from '../../src/index.js';
import { tempDir } from '../db/tempDirs.js';

export interface WalDir {
  readonly dir: string;
  /** `.wal` file names, in log order (one per segment with `packSegments: false`). */
  readonly segments: string[];
  readonly checkpoints: string[];
  readonly lastSeq: number;
}

/** Writes `signals` signals and one item with 1 KiB segments, then closes (which checkpoints). */
export async function walDir(signals = 60, layout: { packSegments?: boolean } = {}): Promise<WalDir> {
  const dir = tempDir('cli');
  const wal = { maxSegmentBytes: 1024, retainSegments: 1_000, ...layout }; // history kept: the CLI inspects it
  const db = await TidalDb.open({ dir, wal, halfLifeMs: { view: 3_600_000 } });
  for (let i = 0; i < signals; i++) await db.signal({ itemId: `song-${i % 7}`, type: 'view' });
  const lastSeq = await db.writeItem({ id: 'song-1', text: 'Quiet River' });
  await db.close();
  const names = fs.readdirSync(dir).sort();
  return { dir, segments: names.filter((n) => n.endsWith('.wal')), checkpoints: names.filter((n) => n.endsWith('.checkpoint')), lastSeq };
}

/** Flips every bit of the byte at `offset` of `file` in `dir`. */
export function flipByte(dir: string, file: string, offset: number): void {
  const p = path.join(dir, file);
  const bytes = fs.readFileSync(p);
  bytes[offset] = bytes[offset]! ^ 0xff;
  fs.writeFileSync(p, bytes);
}

/** Every file's bytes and mtime, to show a command changed nothing. */
export function dirFingerprint(dir: string): Record<string, { bytes: string; mtimeMs: number }> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => {
    const p = path.join(dir, n);
    return [n, { bytes: fs.readFileSync(p).toString('base64'), mtimeMs: fs.statSync(p).mtimeMs }];
  }));
}
