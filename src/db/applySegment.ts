/**
 * The follower's apply of one decoded segment, over the one apply path
 * (`applySignalAt` for signals, read from the batch's columns with no
 * object per signal; `applyWalEvent` for item events): idempotent by
 * event, refusing gaps.
 */
import { TidalError, WalError } from '../errors.js';
import { type BatchColumns, KIND_SIGNAL } from '../wal/batchColumns.js';
import type { DecodedBatch, DecodedSegment } from '../wal/decodeSegment.js';
import type { WalSegmentPayload } from '../wal/walSegmentPayload.js';
import { applySignalAt, applyWalEvent, type DbState } from './dbState.js';

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
  // Every epoch after this node's began somewhere: an older epoch's event at or past any of those starts is
  // one the new leaders never had, even when this segment itself starts after this node's mark.
  if (epoch > state.epoch) {
    const start = earliestStartAfter(state.epoch, epoch, epochStartSeq, decoded.header.epochHistory);
    if (start > 0 && state.appliedSeq >= start) {
      throw new TidalError('Diverged', `segment ${payload.segmentId} is from epoch ${epoch}; an epoch after this node's ${state.epoch} began at seqno ${start}, but this node applied up to ${state.appliedSeq}: its seqnos ${start}..${state.appliedSeq} came from a deposed leader; rebuild it from the new leader`);
    }
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
    applied += applyColumns(state, batch.firstSeq, batch.columns);
  }
  return result(payload, decoded, applied, total - applied, state.appliedSeq);
}

/**
 * Recovery's replay of one batch: its events after `afterSeq` (the log read
 * so far) and after the high-water mark, from its columns; returns how many.
 * A gap after the mark is refused, as applyWalEvent refuses one.
 */
export function applyBatchColumns(state: DbState, batch: DecodedBatch, afterSeq: number): number {
  return applyColumns(state, batch.firstSeq, batch.columns, afterSeq);
}

/** Applies the events of one batch after the high-water mark, from its columns; returns how many. */
function applyColumns(state: DbState, firstSeq: number, c: BatchColumns, afterSeq = 0): number {
  const { kinds, itemIndex, typeIndex, weights, atMs, itemEvents } = c;
  const add = state.ledger.batchAdder(c.itemIds, c.types);
  let applied = 0;
  for (let i = Math.max(0, Math.max(afterSeq, state.appliedSeq) + 1 - firstSeq); i < c.count; i++) {
    const done = kinds[i] === KIND_SIGNAL
      ? applySignalAt(state, firstSeq + i, add, itemIndex[i]!, typeIndex[i]!, weights[i]!, atMs[i]!)
      : applyWalEvent(state, itemEvents[itemIndex[i]!]!);
    if (done) applied++;
  }
  return applied;
}

/**
 * The earliest first seqno of the epochs after `fromEpoch` up to `toEpoch`,
 * from a header's history (and its own epoch's start); when the history does
 * not reach back to `fromEpoch + 1` (truncated), its oldest entry stands in,
 * conservatively. 0 when nothing is recorded.
 */
function earliestStartAfter(fromEpoch: number, toEpoch: number, ownStart: number, history: ReadonlyArray<readonly [number, number]>): number {
  const starts = history.filter(([e]) => e > fromEpoch && e <= toEpoch).map(([, s]) => s);
  if (ownStart > 0) starts.push(ownStart);
  const oldest = history[0];
  if (oldest && oldest[0] > fromEpoch + 1) starts.push(oldest[1]);
  return starts.length === 0 ? 0 : Math.min(...starts);
}

function result(p: WalSegmentPayload, d: DecodedSegment, applied: number, skipped: number, appliedSeq: number): ApplyResult {
  return { segmentId: p.segmentId, firstSeq: d.header.firstSeq, lastSeq: d.lastSeq, appliedEvents: applied, skippedEvents: skipped, appliedSeq };
}
