import type { SegmentStore } from './segmentStore.js';
import type { WalSegmentPayload } from './walSegmentPayload.js';

/**
 * Stores shipped segments durably as one group (segment packs: one append,
 * one fdatasync); on failure removes whatever of them landed and rejects. If
 * even the removal fails, `fail` stops the log: the group may sit in this
 * node's log unapplied, so a promotion would write the new epoch after it.
 */
export async function appendSealedOrUndo(store: SegmentStore, payloads: readonly WalSegmentPayload[], fail: (err: unknown) => void): Promise<void> {
  try {
    await store.appendSealed(payloads, fail);
  } catch (err) {
    for (const p of [...payloads].reverse()) await store.removeSegment(p.segmentId).catch(fail);
    throw err;
  }
}
