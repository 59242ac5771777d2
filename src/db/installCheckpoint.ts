/**
 * A follower taking a leader's checkpoint because it is behind what the
 * leader retains.
 */
import { TidalError } from '../errors.js';
import type { SegmentStore } from '../wal/segmentStore.js';
import type { Wal } from '../wal/wal.js';
import { decodeCheckpoint } from './checkpoint.js';
import type { DbState } from './dbState.js';

/**
 * Verifies `bytes`, and when they are ahead of `current` stores them durably
 * as this node's checkpoint and drops the segments it covers. Returns the
 * state to swap in, or null (nothing changed) when `current` is at or past it.
 * Refuses an older epoch (`Fenced`) and other half-lives (`ConfigMismatch`).
 */
export async function installShippedCheckpoint(
  bytes: Uint8Array, current: DbState, shardId: number, store: SegmentStore, wal: Wal,
): Promise<DbState | null> {
  const restored = decodeCheckpoint(bytes, shardId, 'shipped checkpoint');
  if (restored.appliedSeq <= current.appliedSeq) return null;
  if (restored.epoch < current.epoch) {
    throw new TidalError('Fenced', `checkpoint at seqno ${restored.appliedSeq} is from epoch ${restored.epoch}, but this node has seen epoch ${current.epoch}`);
  }
  if (current.halfLives !== null) current.agreeHalfLives(restored.requireHalfLives(), 'shipped checkpoint');
  await store.writeCheckpoint(restored.appliedSeq, bytes);
  for (const old of await store.listCheckpoints()) if (old < restored.appliedSeq) await store.removeCheckpoint(old);
  await wal.applyRetention({ checkpointSeq: restored.appliedSeq, keepSegments: 0, maxRetainedBytes: 0, neededAfterSeq: Infinity });
  return restored;
}
