/**
 * The follower's apply of one decoded segment, over the one apply path
 * (`applyWalEvent`): idempotent by event, refusing gaps.
 */
import { TidalError, WalError } from '../errors.js';
import type { DecodedSegment } from '../wal/decodeSegment.js';
import type { WalSegmentPayload } from '../wal/walSegmentPayload.js';
import { applyWalEvent, type DbState } from './dbState.js';

/** What applying one shipped segment did. */
export interface ApplyResult {
  readonly segmentId: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Events applied now. */
  readonly appliedEvents: number;
  /** Events at or below the high-water mark, skipped as duplicates. */
  readonly skippedEvents: number;
  /** The high-water mark after the apply. */
  readonly appliedSeq: number;
}

/** Throws `WalError` `Gap` if applying `decoded` would skip seqnos after the high-water mark. */
export function checkNoGap(state: DbState, payload: WalSegmentPayload, decoded: DecodedSegment): void {
  if (decoded.header.firstSeq > state.appliedSeq + 1) {
    throw new WalError('Gap', `segment ${payload.segmentId} starts at seqno ${decoded.header.firstSeq}, but this follower has applied only up to ${state.appliedSeq}`);
  }
}

/**
 * Refuses (`Corruption`) a segment to be stored whose id is not past the
 * last one this follower stores: a leader's ids only grow, and a reused id
 * would overwrite a stored segment with other bytes.
 */
export function checkSegmentIdAfter(lastStoredId: number, payload: WalSegmentPayload): void {
  if (payload.segmentId <= lastStoredId) {
    throw new WalError('Corruption', `segment ${payload.segmentId} holds new events but its id is not after segment ${lastStoredId}, the last this follower stores: segment ids only grow`);
  }
}

/**
 * Fencing: refuses (`Fenced`) a segment from an older epoch than this node
 * has seen, and (`Diverged`) one from a newer epoch when this node holds
 * events at or past that epoch's first seqno (or past the segment's start):
 * those came from the old leader and the new one does not have them.
 */
export function checkEpoch(state: DbState, payload: WalSegmentPayload, decoded: DecodedSegment): void {
  const { epoch, firstSeq, epochStartSeq } = decoded.header;
  if (epoch < state.epoch) {
    throw new TidalError('Fenced', `segment ${payload.segmentId} was written in epoch ${epoch}, but this node has seen epoch ${state.epoch}: its leader has been replaced`);
  }
  if (epoch > state.epoch && firstSeq <= state.appliedSeq) {
    throw new TidalError('Diverged', `segment ${payload.segmentId} starts epoch ${epoch} at seqno ${firstSeq}, but this node applied up to ${state.appliedSeq} in epoch ${state.epoch}: it holds events the new leader does not; rebuild it from the new leader`);
  }
  // Epoch `epoch` began at epochStartSeq: an older epoch's event at or past it is one the new leader never had,
  // even when this segment itself starts after this node's mark.
  if (epoch > state.epoch && epochStartSeq > 0 && state.appliedSeq >= epochStartSeq) {
    throw new TidalError('Diverged', `segment ${payload.segmentId} is from epoch ${epoch}, which began at seqno ${epochStartSeq}, but this node applied up to ${state.appliedSeq} in epoch ${state.epoch}: its seqnos ${epochStartSeq}..${state.appliedSeq} came from the old leader; rebuild it from the new leader`);
  }
}

/**
 * Applies the events of `decoded` after the high-water mark: none when it is
 * wholly at or below it, the tail when it overlaps it. Refuses a gap before
 * changing anything.
 */
export function applyDecodedSegment(state: DbState, payload: WalSegmentPayload, decoded: DecodedSegment): ApplyResult {
  const total = decoded.lastSeq - decoded.header.firstSeq + 1;
  if (decoded.lastSeq <= state.appliedSeq) return result(payload, decoded, 0, total, state.appliedSeq);
  checkNoGap(state, payload, decoded);
  let applied = 0;
  for (const batch of decoded.batches) {
    if (batch.lastSeq <= state.appliedSeq) continue;
    for (const e of batch.events) if (applyWalEvent(state, e)) applied++;
  }
  return result(payload, decoded, applied, total - applied, state.appliedSeq);
}

function result(p: WalSegmentPayload, d: DecodedSegment, applied: number, skipped: number, appliedSeq: number): ApplyResult {
  return { segmentId: p.segmentId, firstSeq: d.header.firstSeq, lastSeq: d.lastSeq, appliedEvents: applied, skippedEvents: skipped, appliedSeq };
}
