/**
 * Recovery's repair of a seal cut short by a crash: the footer of the last
 * sealed segment never reached the disk, while the next segment (created
 * after it) did. See dropAfterUnsealed.
 */
import { decodeSegment, type DecodedSegment, hasIntactBatchFrom } from './decodeSegment.js';
import { FOOTER_BYTES, FOOTER_MAGIC } from './segmentFooter.js';
import { decodeSegmentHeader, hasMagic } from './segmentHeader.js';
import { segmentFileName, type SegmentStore } from './segmentStore.js';

/** What recovery cut off the end of the log: never anything acknowledged as durable. */
export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly discardedBytes: number;
  readonly reason: string;
}

/**
 * A crash during a seal (power loss) can leave the sealed segment without a
 * durable footer while the next segment's file already exists. That next
 * segment then holds nothing acknowledged under fsync, even if the kernel
 * wrote some of its batches back: its batches are synced only after the
 * seal's fsync, and an acknowledgement waits for that sync. So when the
 * last segment follows one with no footer (cut at a batch boundary or inside
 * the footer, as a lost footer write leaves it), has none itself, and
 * continues its seqnos, it is removed (and reported), and the unsealed one is
 * recovered as the active segment. Anything else (a footer present but
 * damaged, data further on, a seqno gap) stays for the checks that follow,
 * which refuse it as Corruption: only this shape is what a crash mid-seal
 * leaves. (Under sync 'none' no write was promised durable.)
 */
export async function dropAfterUnsealed(store: SegmentStore, shardId: number, all: number[]): Promise<{ ids: number[]; tornTail: TornTail | null }> {
  let end = all.length;
  let tornTail: TornTail | null = null;
  while (end >= 2) {
    const lastId = all[end - 1]!;
    const beforeId = all[end - 2]!;
    const last = await store.readSegment(lastId);
    if (hasFooterMagicAtEnd(last)) break;
    const before = await store.readSegment(beforeId);
    if (hasFooterMagicAtEnd(before)) break;
    const file = store.locate?.(lastId) ?? segmentFileName(shardId, lastId);
    // Nothing intact in it (its creation was cut short too): it held nothing at all.
    const empty = !hasIntactBatchFrom(last, 0);
    if (!empty) {
      // Batches written back, but only right after the unsealed one's last seqno: the shape of a lost footer write.
      const unsealedEnd = cleanUnsealedEnd(before, store.locate?.(beforeId) ?? segmentFileName(shardId, beforeId));
      if (unsealedEnd === null || !startsAt(last, file, unsealedEnd + 1)) break;
    }
    await store.removeSegment(lastId);
    const reason = empty
      ? 'created before the previous segment\'s seal was durable; it held no intact batch'
      : `created before segment ${beforeId}'s seal was durable (its footer never reached the disk): it held nothing acknowledged`;
    tornTail = { file, offset: 0, discardedBytes: last.length, reason };
    end--;
    if (!empty) break;
  }
  return { ids: all.slice(0, end), tornTail };
}

/**
 * The last seqno of `bytes` when it is a segment whose footer never became
 * durable: every batch intact, then nothing or the start of a footer.
 * Null for anything else (damage, or a footer present).
 */
function cleanUnsealedEnd(bytes: Uint8Array, file: string): number | null {
  if (hasFooterMagicAtEnd(bytes)) return null;
  let decoded: DecodedSegment;
  try {
    decoded = decodeSegment(bytes, file, 'active');
  } catch {
    return null;
  }
  const rest = bytes.subarray(decoded.validLength);
  const footerStart = Buffer.from(FOOTER_MAGIC, 'latin1').subarray(0, Math.min(rest.length, 4));
  if (rest.length >= FOOTER_BYTES || !Buffer.from(rest.subarray(0, footerStart.length)).equals(footerStart)) return null;
  return decoded.lastSeq;
}

/** True when `bytes` has a readable header whose first seqno is `seq`. */
function startsAt(bytes: Uint8Array, file: string, seq: number): boolean {
  try {
    return decodeSegmentHeader(bytes, file).header.firstSeq === seq;
  } catch {
    return false;
  }
}

/** True when the last FOOTER_BYTES of `bytes` start with the footer magic: a footer is there, intact or not. */
function hasFooterMagicAtEnd(bytes: Uint8Array): boolean {
  return bytes.length >= FOOTER_BYTES && hasMagic(bytes, bytes.length - FOOTER_BYTES, FOOTER_MAGIC);
}

