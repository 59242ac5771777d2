/**
 * A follower's database directory for the CLI tests: the sealed segments of
 * an in-memory leader, applied by a FollowerDb, which keeps them in segment
 * packs (`shard-…-seg-….wals`, src/wal/segmentPack.ts).
 */
import * as fs from 'node:fs';
import { firstValueFrom, toArray } from 'rxjs';
import { FollowerDb, TidalDb } from '../../src/index.js';
import type { WalSegmentPayload } from '../../src/internal.js';
import { tempDir } from '../db/tempDirs.js';
import { WORKLOAD_DB_OPTIONS, writeNext } from '../wal/fixtures/workload.js';

export interface PackDir {
  readonly dir: string;
  /** Pack file names, oldest first. */
  readonly packs: string[];
  /** The segments the follower stored, in log order. */
  readonly segments: WalSegmentPayload[];
  /** Every segment the leader sealed (more than `segments` when `apply` held some back). */
  readonly leaderSegments: WalSegmentPayload[];
  readonly lastSeq: number;
}

/**
 * A leader in memory seals `seals` segments of `perSeal` events; a follower
 * in a new directory applies `apply` of them (all by default) and closes.
 * `maxSegmentBytes` bounds each pack, so a small one makes several.
 */
export async function followerPackDir(options: { seals: number; perSeal: number; maxSegmentBytes?: number; apply?: number }): Promise<PackDir> {
  const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, wal: { retainSegments: 1_000_000 } });
  for (let s = 0; s < options.seals; s++) {
    for (let i = 0; i < options.perSeal; i++) await writeNext(leader);
    await leader.wal.seal();
  }
  const all: WalSegmentPayload[] = [];
  for (let seq = 0; ;) {
    const next = await firstValueFrom(leader.wal.nextSegment$(seq).pipe(toArray()));
    if (next.length === 0) break;
    all.push(next[0]!);
    seq = next[0]!.lastSeq;
  }
  await leader.close();
  const segments = all.slice(0, options.apply ?? all.length);
  const dir = tempDir('cli-packs');
  const wal = { sync: 'none', retainSegments: 1_000_000, ...(options.maxSegmentBytes ? { maxSegmentBytes: options.maxSegmentBytes } : {}) } as const;
  const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal });
  for (const s of segments) await follower.applySegment(s);
  const lastSeq = follower.lastSeq;
  await follower.close();
  return { dir, packs: fs.readdirSync(dir).filter((n) => n.endsWith('.wals')).sort(), segments, leaderSegments: all, lastSeq };
}

/** Opens the directory as a follower and closes it again: what open makes of it (throws what open throws). */
export async function openFollower(dir: string): Promise<FollowerDb> {
  return FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir, wal: { sync: 'none', retainSegments: 1_000_000 } });
}
