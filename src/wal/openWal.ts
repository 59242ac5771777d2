/**
 * Opening a WAL: read every segment of the shard in order, verify it, hand
 * its events to `apply`, and continue the last segment if it is unsealed.
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
import type { WalEvent } from '../events.js';
import { decodeSegment, type DecodedSegment, hasIntactBatchFrom } from './decodeSegment.js';
import { encodeSegmentFooter, FOOTER_BYTES, FOOTER_MAGIC } from './segmentFooter.js';
import { decodeSegmentHeader, hasMagic, headerMetaKey, type SegmentHeader } from './segmentHeader.js';
import { segmentFileName, type SegmentStore } from './segmentStore.js';
import { type ActiveState, Wal, type WalConfig } from './wal.js';
import type { SealedSegmentInfo } from './walSegmentPayload.js';
import { peekFooter, verifySealed } from './verifySealed.js';

export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly discardedBytes: number;
  readonly reason: string;
}

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
  /** The idempotent apply path. */
  readonly apply: (event: WalEvent) => void;
}

export async function openWal(store: SegmentStore, config: WalConfig, hooks: OpenWalHooks): Promise<{ wal: Wal; recovery: WalRecovery }> {
  const { ids, tornTail: lostSealTail } = await dropAfterUnsealed(store, config.shardId, await store.listSegments());
  const sealed: SealedSegmentInfo[] = [];
  let active: ActiveState | null = null;
  let lastSeq = hooks.afterSeq;
  let eventsReplayed = 0;
  let tornTail: TornTail | null = lostSealTail;
  const covered: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const isLast = i === ids.length - 1;
    const file = segmentFileName(config.shardId, id);
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
    const decoded = decodeOrTear(bytes, file, isLast);
    if (!decoded) {
      tornTail = { file, offset: 0, discardedBytes: bytes.length, reason: 'segment header incomplete' };
      await store.removeSegment(id);
      continue;
    }
    checkPlacement(decoded.header, id, config.shardId, lastSeq, file);
    hooks.onHeader(decoded.header, file);
    for (const batch of decoded.batches) {
      if (batch.lastSeq <= lastSeq) continue;
      for (const event of batch.events) {
        if (event.seq <= lastSeq) continue;
        hooks.apply(event);
        eventsReplayed++;
      }
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
async function dropAfterUnsealed(store: SegmentStore, shardId: number, all: number[]): Promise<{ ids: number[]; tornTail: TornTail | null }> {
  let end = all.length;
  let tornTail: TornTail | null = null;
  while (end >= 2) {
    const lastId = all[end - 1]!;
    const beforeId = all[end - 2]!;
    const last = await store.readSegment(lastId);
    if (hasFooterMagicAtEnd(last)) break;
    const before = await store.readSegment(beforeId);
    if (hasFooterMagicAtEnd(before)) break;
    const file = segmentFileName(shardId, lastId);
    // Nothing intact in it (its creation was cut short too): it held nothing at all.
    const empty = !hasIntactBatchFrom(last, 0);
    if (!empty) {
      // Batches written back, but only right after the unsealed one's last seqno: the shape of a lost footer write.
      const unsealedEnd = cleanUnsealedEnd(before, segmentFileName(shardId, beforeId));
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

/** True when `bytes` has a readable header starting after seqno `next` (a gap before it, unless something covers it). */
function startsAfter(bytes: Uint8Array, file: string, next: number): boolean {
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
async function findCovering(store: SegmentStore, shardId: number, ids: readonly number[], from: number, first: Uint8Array, lastSeq: number): Promise<number> {
  let skippedLastSeq = 0;
  for (let j = from; j < ids.length; j++) {
    const file = segmentFileName(shardId, ids[j]!);
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
function withoutCovered(sealed: readonly SealedSegmentInfo[]): { kept: SealedSegmentInfo[]; dropped: number[] } {
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

function decodeOrTear(bytes: Uint8Array, file: string, isLast: boolean): DecodedSegment | null {
  try {
    return decodeSegment(bytes, file, isLast ? 'active' : 'sealed');
  } catch (err) {
    // Only the last segment's header may be torn (a crash right after creating it, before its
    // first sync): its header is unreadable and it holds no intact batch, so nothing in it was
    // acknowledged. An unreadable header in front of intact batches is corruption.
    if (isLast && err instanceof WalError && err.code === 'Corruption' && !headerDecodes(bytes, file) && !hasIntactBatchFrom(bytes, 0)) return null;
    throw err;
  }
}

function headerDecodes(bytes: Uint8Array, file: string): boolean {
  try {
    decodeSegmentHeader(bytes, file);
    return true;
  } catch {
    return false;
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
  store: SegmentStore, config: WalConfig, id: number, valid: Uint8Array, d: DecodedSegment,
): Promise<SealedSegmentInfo | null> {
  if (d.batches.length === 0) {
    await store.removeSegment(id);
    return null;
  }
  const sealedAtMs = config.clock();
  const eventCount = d.batches.reduce((n, b) => n + b.events.length, 0);
  const footer = encodeSegmentFooter({ eventCount, lastSeq: d.lastSeq, sealedAtMs }, createHasher().update(valid));
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

async function reopen(store: SegmentStore, id: number, bytes: Uint8Array, d: DecodedSegment): Promise<ActiveState> {
  const handle = await store.reopenActive(id, bytes.length);
  const copy = Uint8Array.from(bytes);
  return {
    handle, firstSeq: d.header.firstSeq, chunks: [copy], prefix: createHasher().update(copy),
    length: copy.length, eventCount: d.batches.reduce((n, b) => n + b.events.length, 0), lastSeq: d.lastSeq,
  };
}
