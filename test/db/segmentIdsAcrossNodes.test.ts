/**
 * Segment ids only grow across the nodes of a shard: a checkpoint carries
 * the id its writer's log continues from, so a follower bootstrapped from a
 * checkpoint alone and then promoted never reuses ids that its followers
 * store (they refuse a segment with new events whose id is not past their
 * last one, since storing it would overwrite a stored segment).
 */
import { describe, expect, it } from 'vitest';
import { TidalDb, type WalSegmentPayload } from '../../src/index.js';
import { tempDir } from './tempDirs.js';

async function sealedLeader(segments: number): Promise<{ leader: TidalDb; payloads: WalSegmentPayload[] }> {
  const leader = await TidalDb.open();
  const payloads: WalSegmentPayload[] = [];
  for (let s = 0; s < segments; s++) {
    await leader.signal({ itemId: `i${s}`, type: 'view' });
    payloads.push((await leader.wal.seal())!);
  }
  return { leader, payloads };
}

describe('a checkpoint carries the next segment id, so ids never go back', () => {
  for (const where of ['memory', 'file'] as const) {
    it(`a follower bootstrapped from a checkpoint alone, then promoted, numbers its segments after the old leader's (${where})`, async () => {
      const { leader, payloads } = await sealedLeader(3);
      await leader.checkpoint();
      const other = await TidalDb.open({ role: 'follower' });
      for (const p of payloads) await other.applySegment(p);
      const dir = where === 'file' ? tempDir('bootstrap') : undefined;
      let promoted = await TidalDb.open({ dir, role: 'follower' });
      expect(await promoted.installCheckpoint((await leader.latestCheckpoint())!.bytes)).toBe(true);
      if (dir) {
        await promoted.close(); // and the reopen recovers the id from the checkpoint too
        promoted = await TidalDb.open({ dir, role: 'follower' });
      }
      await promoted.promote();
      await promoted.signal({ itemId: 'new', type: 'view' });
      const next = (await promoted.wal.seal())!;
      expect(next.segmentId).toBeGreaterThan(payloads.at(-1)!.segmentId);
      const result = await other.applySegment(next);
      expect(result.appliedEvents).toBe(1);
      expect(other.lastSeq).toBe(4);
      await promoted.close();
    });
  }
});
