/**
 * A follower taking a leader's checkpoint because it is behind what the
 * leader retains. Three steps, so a failing disk never leaves a stored
 * checkpoint the live state does not match (reopen would restore it and
 * shadow whatever this node wrote after, e.g. once promoted):
 *   1. verify (nothing changes on a refusal);
 *   2. store it durably, removing it again if storing failed;
 *   3. once the caller has swapped the state in, drop what it covers.
 */
import { TidalError } from '../errors.js';
import type { SegmentStore } from '../wal/segmentStore.js';
import type { Wal } from '../wal/wal.js';
import { decodeCheckpoint } from './checkpoint.js';
import type { DbState } from './dbState.js';

/**
 * The state `bytes` holds when it is ahead of `current`, or null (nothing
 * to do) when `current` is at or past it. Refuses corrupt bytes
 * (`Corruption`), an older epoch (`Fenced`) and other half-lives (`ConfigMismatch`).
 */
export function verifyShippedCheckpoint(bytes: Uint8Array, current: DbState, shardId: number): DbState | null {
  const restored = decodeCheckpoint(bytes, shardId, 'shipped checkpoint');
  if (restored.appliedSeq <= current.appliedSeq) return null;
  if (restored.epoch < current.epoch) {
    throw new TidalError('Fenced', `checkpoint at seqno ${restored.appliedSeq} is from epoch ${restored.epoch}, but this node has seen epoch ${current.epoch}`);
  }
  if (current.halfLives !== null) current.agreeHalfLives(restored.requireHalfLives(), 'shipped checkpoint');
  return restored;
}

/**
 * Stores the checkpoint durably. Resolves true once stored. If storing
 * failed it removes the file again and rejects; if even that fails (the
 * checkpoint may or may not be on disk) it resolves false: the caller
 * cannot know its durable state and must fail closed until a reopen.
 */
export async function storeShippedCheckpoint(store: SegmentStore, seq: number, bytes: Uint8Array): Promise<boolean> {
  try {
    await store.writeCheckpoint(seq, bytes);
    return true;
  } catch (err) {
    const removed = await store.removeCheckpoint(seq).then(() => true, () => false);
    if (removed) throw err;
    return false;
  }
}

/**
 * After the swap: drops older checkpoints and every segment the new one
 * covers, the newest file included: the checkpoint carries the next segment
 * id, and a stored segment of an older numbering (its leader replaced) would
 * otherwise make this follower refuse the new leader's lower ids forever.
 */
export async function dropCoveredByCheckpoint(store: SegmentStore, wal: Wal, seq: number): Promise<void> {
  for (const old of await store.listCheckpoints()) if (old < seq) await store.removeCheckpoint(old);
  await wal.applyRetention({ checkpointSeq: seq, keepSegments: 0, maxRetainedBytes: 0, neededAfterSeq: Infinity, keepNewestFile: false });
}
