/**
 * Bounded by default (issue 8), the file count: with a `dir` and
 * `shipIntervalMs: 10`, a leader writing continuously to one follower that
 * keeps up seals a segment every 10 ms (100 a second), yet the number of
 * WAL files on either side stays under the documented bound
 * (docs/wal-format.md): with the default layout (several segments to a
 * file, `packedFileBound`) and with one file per segment merged in the
 * background (`wal.packSegments: false`, walFileBound of the bytes held,
 * plus the inputs of the one merge in flight).
 *
 * `npm test` (and so CI) runs the 60 s of real time for the
 * default layout, and 3 s for `packSegments: false`. Another length for both:
 *   WAL_SOAK_MS=300000 npx vitest run test/db/boundedWalFiles.test.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { DEFAULT_MAX_SEGMENT_BYTES } from '../../src/limits.js';
import { defaultMergePolicy, walFileBound, zoneBound } from '../../src/wal/planMerge.js';
import { packedFileBound } from '../../src/wal/segmentPack.js';
import { InProcessTransport, startFollower, startLeader } from '../../streams/index.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS, writeNext } from '../wal/fixtures/workload.js';
import { tempDir } from './tempDirs.js';

/** How long each layout is written to: the 60 s for the default layout; 3 s for the merged one (the layout users opt into). */
function durationMs(packSegments: boolean): number {
  return Number(process.env.WAL_SOAK_MS ?? (packSegments ? 60_000 : 3_000));
}
const SAMPLE_EVERY_MS = 20;
const POLICY = defaultMergePolicy(DEFAULT_MAX_SEGMENT_BYTES);
/** What a sample may see above the bound: the inputs of the merge in flight (not yet removed). */
const IN_FLIGHT = zoneBound(POLICY);

interface Sample {
  readonly files: number;
  readonly bytes: number;
  readonly bound: number;
}

function sample(dir: string, packed: boolean): Sample {
  let files = 0;
  let bytes = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.wal') && !name.endsWith('.wals')) continue;
    files++;
    try {
      bytes += fs.statSync(path.join(dir, name)).size;
    } catch {
      // removed between the listing and the stat: a merge input going
    }
  }
  // Packed: the leader's .wal files and the follower's .wals packs are each bounded alone (two kinds at most).
  return { files, bytes, bound: packed ? 2 * packedFileBound(bytes, DEFAULT_MAX_SEGMENT_BYTES) : walFileBound(POLICY, bytes) };
}

describe.each([
  { layout: 'several segments to a file (the default)', packSegments: true },
  { layout: 'a file per segment, merged', packSegments: false },
])('bounded by default: the number of WAL files stays bounded however small the ship interval, $layout', ({ packSegments }) => {
  const DURATION_MS = durationMs(packSegments);
  it(`with a dir and shipIntervalMs 10, ${DURATION_MS / 1000} s of continuous writes to a follower that keeps up stay under the bound`, async () => {
    const leaderDir = tempDir('files-leader');
    const followerDir = tempDir('files-follower');
    const leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir: leaderDir, wal: { packSegments } });
    const follower = await FollowerDb.open({ ...WORKLOAD_DB_OPTIONS, dir: followerDir, wal: { packSegments } });
    const transport = new InProcessTransport({ capacity: 8 });
    const leaderHandle = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 10 });
    const followerHandle = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 50 });
    const samples = { leader: [] as Sample[], follower: [] as Sample[] };
    const sampler = setInterval(() => {
      samples.leader.push(sample(leaderDir, packSegments));
      samples.follower.push(sample(followerDir, packSegments));
    }, SAMPLE_EVERY_MS);
    try {
      const until = Date.now() + DURATION_MS;
      while (Date.now() < until) await Promise.all(Array.from({ length: 64 }, () => writeNext(leader)));
      await leaderHandle.awaitInSync({ timeoutMs: 30_000 });
    } finally {
      clearInterval(sampler);
      await leaderHandle.stop();
      await followerHandle.stop();
    }
    await leader.wal.mergesSettled();
    await follower.wal.mergesSettled();
    const ids = leader.wal.sealedSegments.at(-1)!.segmentId;
    // Without merging there would be a file per seal: at 100 seals a second, hundreds.
    expect(ids, 'segments sealed').toBeGreaterThan((DURATION_MS / 1000) * 30);
    // Packed, the files stay few with no merge at all; one file per segment needs the merges.
    if (packSegments) expect(leader.wal.merges.merges).toBe(0);
    else expect(leader.wal.merges.merges).toBeGreaterThan(0);
    for (const [side, list] of Object.entries(samples)) {
      const worst = list.reduce((w, s) => (s.files - s.bound > w.files - w.bound ? s : w));
      expect(worst.files, `${side}: ${worst.files} files holding ${worst.bytes} bytes (bound ${worst.bound})`).toBeLessThanOrEqual(worst.bound + IN_FLIGHT);
    }
    for (const [side, dir] of [['leader', leaderDir], ['follower', followerDir]] as const) {
      const s = sample(dir, packSegments);
      expect(s.files, `${side} after the merges ran: ${s.files} files holding ${s.bytes} bytes`).toBeLessThanOrEqual(s.bound);
    }
    expect(follower.lastSeq).toBe(leader.lastSeq);
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader));
    if (process.env.WAL_SOAK_MS) {
      const most = (list: Sample[]) => list.reduce((w, x) => (x.files > w.files ? x : w));
      process.stdout.write(`${JSON.stringify({
        durationMs: DURATION_MS, events: leader.lastSeq, segmentsSealed: ids, merges: leader.wal.merges,
        mostFiles: { leader: most(samples.leader), follower: most(samples.follower) }, samples: samples.leader.length,
      })}\n`);
    }
    await leader.close();
    await follower.close();
  }, DURATION_MS + 60_000);
});
