import type { SegmentStore } from './segmentStore.js';
import type { WalSegmentPayload } from './walSegmentPayload.js';

/**
 * Writes a shipped segment durably; on failure removes whatever of it
 * landed and rejects. If even the removal fails, `fail` stops the log: the
 * rename may have happened before the failure (a failed directory fsync),
 * and the file would then sit in this node's log unapplied, so a promotion
 * would write the new epoch after it.
 */
export async function writeSegmentOrUndo(store: SegmentStore, payload: WalSegmentPayload, fail: (err: unknown) => void): Promise<void> {
  try {
    await store.writeSegment(payload.segmentId, payload.bytes);
  } catch (err) {
    await store.removeSegment(payload.segmentId).catch(fail);
    throw err;
  }
}
