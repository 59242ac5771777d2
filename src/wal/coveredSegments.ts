/**
 * Segments a later one covers: what a merge cut short by a crash leaves (its
 * inputs, and the merged segment that holds all their seqnos). Recovery
 * treats a gap in front of such inputs as no gap, and removes them.
 */
import { peekFooter, verifySealed } from './verifySealed.js';
import { decodeSegmentHeader } from './segmentHeader.js';
import { segmentFileName, type SegmentStore } from './segmentStore.js';
import type { SealedSegmentInfo } from './walSegmentPayload.js';

/** True when `bytes` has a readable header starting after seqno `next` (a gap before it, unless something covers it). */
export function startsAfter(bytes: Uint8Array, file: string, next: number): boolean {
  try {
    return decodeSegmentHeader(bytes, file).header.firstSeq > next;
  } catch {
    return false; // the checks that follow report an unreadable header
  }
}

/**
 * After a gap in front of `ids[from]` (whose bytes are `first`): the index
 * of a later segment that starts at or before `lastSeq + 1` and claims to
 * end at or after every segment from `from` up to it, each of which must be
 * an intact sealed segment. That later segment is checked in full when the
 * open reaches it (so open fails, removing nothing, if it is not what it
 * claims); the ones before it are the inputs of a merge a crash cut short.
 * -1 when there is none: the gap is real.
 */
export async function findCovering(store: SegmentStore, shardId: number, ids: readonly number[], from: number, first: Uint8Array, lastSeq: number): Promise<number> {
  let skippedLastSeq = 0;
  for (let j = from; j < ids.length; j++) {
    const file = store.locate?.(ids[j]!) ?? segmentFileName(shardId, ids[j]!);
    const bytes = j === from ? first : await store.readSegment(ids[j]!);
    const claimed = peekFooter(bytes, file);
    if (claimed === null) return -1; // merges write sealed segments only
    if (!startsAfter(bytes, file, lastSeq + 1)) return claimed.lastSeq >= skippedLastSeq && headerDecodes(bytes, file) ? j : -1;
    try {
      skippedLastSeq = Math.max(skippedLastSeq, verifySealed(bytes, file).footer.lastSeq);
    } catch {
      return -1;
    }
  }
  return -1;
}

/** Splits `sealed` (in id order) into the segments to keep and the ids of those a later one covers (all its seqnos). */
export function withoutCovered(sealed: readonly SealedSegmentInfo[]): { kept: SealedSegmentInfo[]; dropped: number[] } {
  const kept: SealedSegmentInfo[] = [];
  const dropped: number[] = [];
  let widest: SealedSegmentInfo | null = null; // the later segment starting earliest
  for (let i = sealed.length - 1; i >= 0; i--) {
    const s = sealed[i]!;
    if (widest && widest.firstSeq <= s.firstSeq && widest.lastSeq >= s.lastSeq) {
      dropped.push(s.segmentId);
      continue;
    }
    kept.unshift(s);
    if (!widest || s.firstSeq < widest.firstSeq) widest = s;
  }
  return { kept, dropped };
}


/** True when `bytes` starts with a readable segment header. */
export function headerDecodes(bytes: Uint8Array, file: string): boolean {
  try {
    decodeSegmentHeader(bytes, file);
    return true;
  } catch {
    return false;
  }
}
