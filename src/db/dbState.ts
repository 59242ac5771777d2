/**
 * The state a database serves reads from, and the one path that changes it:
 * `applyWalEvent`. A leader's writes, recovery on open and a follower's
 * replay all go through it, so they cannot disagree.
 */
import { TidalError, WalError } from '../errors.js';
import type { WalEvent } from '../events.js';
import { describeHalfLives, halfLifeOf, type HalfLives, sameHalfLives } from '../ledger/halfLives.js';
import { type BatchAdder, SignalLedger } from '../ledger/signalLedger.js';
import { ItemStore } from '../items/itemStore.js';

export class DbState {
  readonly ledger = new SignalLedger((type) => halfLifeOf(this.requireHalfLives(), type));
  readonly items = new ItemStore();
  /** High-water mark: every seqno at or below it is applied, none above. */
  appliedSeq = 0;
  /** Highest leadership epoch seen in the data (segment headers, checkpoints, promote()). */
  epoch = 0;
  /** The first seqno of `epoch` (1 for epoch 0; the promotion point + 1 after one); 0 when not recorded. */
  epochStartSeq = 1;
  /** Where each epoch since 1 began, [epoch, first seqno], oldest first (at most MAX_EPOCH_HISTORY). */
  epochHistory: ReadonlyArray<readonly [number, number]> = [];
  /**
   * The segment id the log continues from, as the checkpoint this state came
   * from recorded it (1 otherwise): ids only grow across the nodes of a shard.
   */
  nextSegmentId = 1;

  constructor(public halfLives: HalfLives | null) {}

  /**
   * Adopts `recorded` half-lives when none are fixed yet, or checks they
   * match; `where` names the source for the error.
   */
  agreeHalfLives(recorded: HalfLives, where: string): void {
    if (this.halfLives === null) {
      this.halfLives = recorded;
      return;
    }
    if (!sameHalfLives(this.halfLives, recorded)) {
      throw new TidalError('ConfigMismatch',
        `${where} records half-lives ${describeHalfLives(recorded)}, but this database uses ${describeHalfLives(this.halfLives)}`);
    }
  }

  requireHalfLives(): HalfLives {
    if (this.halfLives === null) throw new TidalError('InvalidInput', 'half-lives are not known yet: no data has been applied');
    return this.halfLives;
  }
}

/**
 * Applies one event. Idempotent by seqno: an event at or below the
 * high-water mark is a no-op (returns false). A gap is an error, never
 * skipped: the state would silently miss the events in between.
 */
export function applyWalEvent(state: DbState, event: WalEvent): boolean {
  if (event.seq <= state.appliedSeq) return false;
  if (event.kind === 'signal') return applySignalFields(state, event.seq, event.itemId, event.type, event.weight, event.at);
  checkNext(state, event.seq);
  state.items.put({ id: event.id, text: event.text, fields: event.fields });
  state.appliedSeq = event.seq;
  return true;
}

/**
 * `applyWalEvent` for one signal given field by field: the path of a
 * columnar decode, which creates no object per event. Same rules.
 */
export function applySignalFields(state: DbState, seq: number, itemId: string, type: string, weight: number, atMs: number): boolean {
  if (seq <= state.appliedSeq) return false;
  checkNext(state, seq);
  state.ledger.add(itemId, type, weight, atMs);
  state.appliedSeq = seq;
  return true;
}

/**
 * `applySignalFields` with the item and type given by a batch's dictionary
 * indices, through the batch's adder (SignalLedger.batchAdder). Same rules.
 */
export function applySignalAt(state: DbState, seq: number, add: BatchAdder, itemIndex: number, typeIndex: number, weight: number, atMs: number): boolean {
  if (seq <= state.appliedSeq) return false;
  checkNext(state, seq);
  add(itemIndex, typeIndex, weight, atMs);
  state.appliedSeq = seq;
  return true;
}

function checkNext(state: DbState, seq: number): void {
  if (seq !== state.appliedSeq + 1) {
    throw new WalError('Gap', `event seqno ${seq} follows applied seqno ${state.appliedSeq}: seqnos ${state.appliedSeq + 1}..${seq - 1} are missing`);
  }
}
