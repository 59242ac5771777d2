/**
 * Opening a WAL: read every segment of the shard in order, verify it, hand
 * its events to `apply` batch by batch as they decode, and continue the
 * last segment if it is unsealed.
 *
 * - A sealed segment that fails any check fails the open with `WalError`
 *   `Corruption` naming the file and byte offset.
 * - A gap between segments (a missing segment in the middle) is corruption.
 * - A torn last batch in the active segment is cut off and reported: it is
 *   what a crash mid-write leaves, and it was never acknowledged as durable.
 * - An active segment that ends before the checkpoint's seqno is sealed where
 *   it ends (removed if it holds no batch): the next seqno belongs in a new one.
 * - A sealed segment whose events a later segment holds (a merge cut short
 *   by a crash left some of its inputs) is not needed: a gap in front of it
 *   is no gap, and its file is removed in the background once open is done.
 */
import { Checksum, createHasher } from '../checksum.js';
import { WalError } from '../errors.js';
import { type DecodedBatch, hasIntactBatchFrom, type SegmentSummary, type SegmentVisitor, walkSegment } from './decodeSegment.js';
import { encodeSegmentFooter } from './segmentFooter.js';
import { headerMetaKey, type SegmentHeader } from './segmentHeader.js';
import { segmentFileName, type SegmentStore } from './segmentStore.js';
import { type ActiveState, Wal, type WalConfig } from './wal.js';
import { findCovering, headerDecodes, startsAfter, withoutCovered } from './coveredSegments.js';
import { dropAfterUnsealed, type TornTail } from './dropAfterUnsealed.js';

export type { TornTail } from './dropAfterUnsealed.js';
import type { SealedSegmentInfo } from './walSegmentPayload.js';
import { peekFooter, verifySealed } from './verifySealed.js';


export interface WalRecovery {
  readonly segmentsRead: number;
  readonly eventsReplayed: number;
  readonly lastSeq: number;
  readonly tornTail: TornTail | null;
}

export interface OpenWalHooks {
  /** Seqnos at or below this are already in the state (a checkpoint); their batches are skipped. */
  readonly afterSeq: number;
  /** Called with each segment's header before its events: the place to check recorded config. */
  readonly onHeader: (header: SegmentHeader, file: string) => void;
  /** The idempotent apply path, for the events of `batch` after seqno `afterSeq`; returns how many it applied. */
  readonly applyBatch: (batch: DecodedBatch, afterSeq: number) => number;
}

export async function openWal(store: SegmentStore, config: WalConfig, hooks: OpenWalHooks): Promise<{ wal: Wal; recovery: WalRecovery }> {
  const { ids, tornTail: lostSealTail } = await dropAfterUnsealed(store, config.shardId, await store.listSegments());
  const sealed: SealedSegmentInfo[] = [];
  let active: ActiveState | null = null;
  let lastSeq = hooks.afterSeq;
  let eventsReplayed = 0;
  let tornTail: TornTail | null = lostSealTail ?? packTornTail(store);
  const covered: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    // A segment received from a leader was stored whole: it is never the active segment, whatever its place.
    const isLast = i === ids.length - 1 && !(store.isReceived?.(id) ?? false);
    const file = store.locate?.(id) ?? segmentFileName(config.shardId, id);
    const bytes = await store.readSegment(id);
    if (!isLast && startsAfter(bytes, file, lastSeq + 1)) {
      const coverer = await findCovering(store, config.shardId, ids, i, bytes, lastSeq);
      if (coverer > i) {
        covered.push(...ids.slice(i, coverer));
        i = coverer - 1;
        continue;
      }
    }
    const claimed = isLast ? null : peekFooter(bytes, file);
    if (claimed && claimed.lastSeq <= hooks.afterSeq) {
      // Wholly inside the checkpoint: verify, do not decode.
      const { header, footer } = verifySealed(bytes, file);
      checkPlacement(header, id, config.shardId, lastSeq, file);
      hooks.onHeader(header, file);
      sealed.push({
        segmentId: id, firstSeq: header.firstSeq, lastSeq: footer.lastSeq,
        sealedAtMs: footer.sealedAtMs, byteLength: bytes.length, checksum: Checksum.of(bytes), metaKey: headerMetaKey(bytes),
      });
      continue;
    }
    const before = lastSeq;
    // Each batch is applied as it is decoded: if the segment then fails a check, the open fails and the
    // state being built is dropped with it; a torn tail stops before its batch.
    const decoded = decodeOrTear(bytes, file, isLast, {
      onHeader: (header) => {
        checkPlacement(header, id, config.shardId, before, file);
        hooks.onHeader(header, file);
      },
      onBatch: (batch) => {
        if (batch.lastSeq > before) eventsReplayed += hooks.applyBatch(batch, before);
      },
    });
    if (!decoded) {
      tornTail = { file, offset: 0, discardedBytes: bytes.length, reason: 'segment header incomplete' };
      await store.removeSegment(id);
      continue;
    }
    lastSeq = Math.max(lastSeq, decoded.lastSeq);
    if (decoded.footer) {
      sealed.push({
        segmentId: id, firstSeq: decoded.header.firstSeq, lastSeq: decoded.lastSeq,
        sealedAtMs: decoded.footer.sealedAtMs, byteLength: bytes.length, checksum: Checksum.of(bytes), metaKey: headerMetaKey(bytes),
      });
      continue;
    }
    if (decoded.torn) {
      tornTail = { file, offset: decoded.torn.offset, discardedBytes: bytes.length - decoded.validLength, reason: decoded.torn.reason };
    }
    const valid = bytes.subarray(0, decoded.validLength);
    if (decoded.lastSeq < hooks.afterSeq) {
      // The checkpoint is ahead of this segment's intact end (a tail lost or torn after the
      // checkpoint was written): it cannot take seqno afterSeq + 1, so it is sealed as it stands.
      const info = await sealBehindCheckpoint(store, config, id, valid, decoded);
      if (info) sealed.push(info);
      continue;
    }
    active = await reopen(store, id, valid, decoded);
  }
  const nextSegmentId = ids.length > 0 ? ids[ids.length - 1]! + 1 : 1;
  const { kept, dropped } = withoutCovered(sealed);
  const wal = new Wal(store, config, active, kept, nextSegmentId, lastSeq, [...covered, ...dropped]);
  return { wal, recovery: { segmentsRead: ids.length, eventsReplayed, lastSeq, tornTail } };
}

function decodeOrTear(bytes: Uint8Array, file: string, isLast: boolean, visit: SegmentVisitor): SegmentSummary | null {
  try {
    return walkSegment(bytes, file, isLast ? 'active' : 'sealed', visit);
  } catch (err) {
    // Only the last segment's header may be torn (a crash right after creating it, before its
    // first sync): its header is unreadable and it holds no intact batch, so nothing in it was
    // acknowledged. An unreadable header in front of intact batches is corruption.
    if (isLast && err instanceof WalError && err.code === 'Corruption' && !headerDecodes(bytes, file) && !hasIntactBatchFrom(bytes, 0)) return null;
    throw err;
  }
}


function checkPlacement(h: SegmentHeader, id: number, shardId: number, prevLastSeq: number, file: string): void {
  if (h.shardId !== shardId || h.segmentId !== id) {
    throw new WalError('Corruption', `${file}: header at offset 0 says shard ${h.shardId} segment ${h.segmentId}, file name says shard ${shardId} segment ${id}`);
  }
  if (h.firstSeq > prevLastSeq + 1) {
    throw new WalError('Corruption', `${file}: starts at seqno ${h.firstSeq} (offset 24) but the log before it ends at ${prevLastSeq}: a segment is missing`);
  }
}

/** Seals the segment `valid` as it stands (a header-only one is removed instead); the next write opens a new one. */
async function sealBehindCheckpoint(
  store: SegmentStore, config: WalConfig, id: number, valid: Uint8Array, d: SegmentSummary,
): Promise<SealedSegmentInfo | null> {
  if (d.eventCount === 0) {
    await store.removeSegment(id);
    return null;
  }
  const sealedAtMs = config.clock();
  const footer = encodeSegmentFooter({ eventCount: d.eventCount, lastSeq: d.lastSeq, sealedAtMs }, createHasher().update(valid));
  const handle = await store.reopenActive(id, valid.length);
  try {
    handle.append(footer);
    await handle.sync();
  } finally {
    handle.close();
  }
  const bytes = Buffer.concat([valid, footer]);
  return {
    segmentId: id, firstSeq: d.header.firstSeq, lastSeq: d.lastSeq, sealedAtMs, byteLength: bytes.length,
    checksum: Checksum.of(bytes), metaKey: headerMetaKey(bytes),
  };
}

async function reopen(store: SegmentStore, id: number, bytes: Uint8Array, d: SegmentSummary): Promise<ActiveState> {
  const handle = await store.reopenActive(id, bytes.length);
  const copy = Uint8Array.from(bytes);
  return {
    handle, firstSeq: d.header.firstSeq, chunks: [copy], prefix: createHasher().update(copy),
    length: copy.length, eventCount: d.eventCount, lastSeq: d.lastSeq,
  };
}

/** A torn append that opening the store cut off the end of a segment file or pack (file stores only). */
function packTornTail(store: SegmentStore): TornTail | null {
  const cut = store.tornAtOpen ?? null;
  return cut && { ...cut, reason: 'the file ends inside a segment appended to it (an append cut short); nothing in it was acknowledged' };
}
