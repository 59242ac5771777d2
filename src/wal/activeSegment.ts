/**
 * The segment being appended to: its handle, its bytes so far (kept for the
 * sealed payload) and the running hash its footer closes. Opening, appending
 * a batch and sealing are pure bookkeeping over the handle's writes.
 */
import { Checksum, createHasher, type Hasher } from '../checksum.js';
import { assert } from '../errors.js';
import type { WalEvent } from '../events.js';
import { encodeSegmentFooter } from './segmentFooter.js';
import { headerMetaKey } from './segmentHeader.js';
import type { ActiveSegment } from './segmentStore.js';
import type { SealedSegmentInfo } from './walSegmentPayload.js';

/** The segment being appended to, with what sealing it needs. */
export interface ActiveState {
  readonly handle: ActiveSegment;
  readonly firstSeq: number;
  readonly chunks: Uint8Array[];
  readonly prefix: Hasher;
  length: number;
  eventCount: number;
  lastSeq: number;
}

/** The state of a segment just created with `header` written, for events from `firstSeq`. */
export function newActiveState(handle: ActiveSegment, header: Uint8Array, firstSeq: number): ActiveState {
  return { handle, firstSeq, chunks: [header], prefix: createHasher().update(header), length: header.length, eventCount: 0, lastSeq: firstSeq - 1 };
}

/** Appends one encoded batch of `events` (contiguous after the segment's last seqno). */
export function appendBatchTo(active: ActiveState, events: readonly WalEvent[], bytes: Uint8Array): void {
  assert(events[0]!.seq === active.lastSeq + 1, `batch starting at ${events[0]!.seq} after seqno ${active.lastSeq}`);
  active.handle.append(bytes);
  active.chunks.push(bytes);
  active.prefix.update(bytes);
  active.length += bytes.length;
  active.eventCount += events.length;
  active.lastSeq = events[events.length - 1]!.seq;
}

/** Appends the footer and returns the sealed segment's bytes and descriptor (not yet durable on disk). */
export function sealActiveState(active: ActiveState, sealedAtMs: number): { bytes: Uint8Array; info: SealedSegmentInfo } {
  const footer = encodeSegmentFooter({ eventCount: active.eventCount, lastSeq: active.lastSeq, sealedAtMs }, active.prefix);
  active.handle.append(footer);
  active.chunks.push(footer);
  const bytes = Buffer.concat(active.chunks);
  return {
    bytes,
    info: {
      segmentId: active.handle.segmentId, firstSeq: active.firstSeq, lastSeq: active.lastSeq,
      sealedAtMs, byteLength: bytes.length, checksum: Checksum.of(bytes), metaKey: headerMetaKey(bytes),
    },
  };
}
