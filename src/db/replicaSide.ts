/**
 * A database's replica-facing seam: applying a shipped segment (verify,
 * skip, refuse a gap, store durably, then apply), installing a leader's
 * checkpoint, and promoting a follower to leader. Each works on the one
 * DbCore that TidalDb holds.
 */
import { defer, lastValueFrom, map, mergeMap, type Observable, of, ReplaySubject } from 'rxjs';
import { TidalError, WalError } from '../errors.js';
import { defaultHalfLives } from '../ledger/halfLives.js';
import { MAX_EPOCH_HISTORY } from '../limits.js';
import type { DecodedSegment } from '../wal/decodeSegment.js';
import { ownedPayload, verifyPayload, wasVerified } from '../wal/verifyPayload.js';
import type { WalSegmentPayload } from '../wal/walSegmentPayload.js';
import { type ApplyResult, applyDecodedSegment, checkEpoch, checkNoGap, checkSegmentIdAfter } from './applySegment.js';
import type { DbCore } from './dbCore.js';
import { dropCoveredByCheckpoint, storeShippedCheckpoint, verifyShippedCheckpoint } from './installCheckpoint.js';

/** See TidalDb.applySegment$. */
export function applySegment$(core: DbCore, payload: WalSegmentPayload, verified?: DecodedSegment): Observable<ApplyResult> {
  return defer(() => {
    core.checkOpen();
    const trusted = verified !== undefined && wasVerified(payload, verified);
    const owned = trusted ? payload : ownedPayload(payload);
    const decoded = trusted ? verified : verifyPayload(owned);
    if (decoded.header.shardId !== core.opts.shardId) {
      throw new TidalError('ConfigMismatch', `segment ${owned.segmentId} is for shard ${decoded.header.shardId}, this database holds shard ${core.opts.shardId}`);
    }
    checkEpoch(core.state, owned, decoded);
    if (decoded.lastSeq <= core.state.appliedSeq) return of(core.counted(applyDecodedSegment(core.state, owned, decoded)));
    checkNoGap(core.state, owned, decoded);
    return finishCoveredDrop$(core, owned).pipe(mergeMap(() => storeAndApply$(core, owned, decoded)));
  });
}

/**
 * Completes an installed checkpoint's drop of the segments it covers when
 * that failed part-way (an I/O error): needed only when a stored segment's
 * id is at or past `payload`'s. Synchronous (of) when there is nothing to do.
 */
function finishCoveredDrop$(core: DbCore, payload: WalSegmentPayload): Observable<void> {
  const seq = core.coveredDropSeq;
  const lastStoredId = core.wal.sealedSegments.at(-1)?.segmentId ?? 0;
  if (seq === null || lastStoredId < payload.segmentId) return of(undefined);
  return defer(() => dropCoveredByCheckpoint(core.store, core.wal, seq)).pipe(map(() => {
    core.coveredDropSeq = null;
  }));
}

function storeAndApply$(core: DbCore, owned: WalSegmentPayload, decoded: DecodedSegment): Observable<ApplyResult> {
  return defer(() => {
    checkSegmentIdAfter(core.wal.sealedSegments.at(-1)?.segmentId ?? 0, owned);
    const where = `segment ${owned.segmentId}`;
    if (core.state.halfLives !== null) core.state.agreeHalfLives(decoded.header.halfLives, where);
    // Durable first, then applied, then acknowledged: an ack never runs ahead of the data.
    // Every check is above: from here on the apply cannot fail half-way, and once the store
    // has started it runs to the apply even if the caller unsubscribes (promote() waits for it).
    return runToCompletion(core, core.wal.storeSealed$(owned).pipe(map(() => {
      const state = core.state;
      state.agreeHalfLives(decoded.header.halfLives, where);
      if (decoded.header.epoch > state.epoch) {
        state.epochStartSeq = decoded.header.epochStartSeq;
        state.epochHistory = decoded.header.epochHistory;
      }
      state.epoch = decoded.header.epoch;
      const result = core.counted(applyDecodedSegment(state, owned, decoded));
      core.checkpointIfBytesDue();
      return result;
    })));
  });
}

/**
 * Runs `work$` to its end whatever the subscriber does, replaying its
 * outcome: a store that landed is always applied (a stopped receiver must
 * not leave a stored, unapplied segment under a promotion). Tracked until
 * it settles. Synchronous work stays synchronous.
 */
function runToCompletion<T>(core: DbCore, work$: Observable<T>): Observable<T> {
  const outcome = new ReplaySubject<T>(1);
  let settledAlready = false;
  work$.subscribe({
    next: (value) => outcome.next(value),
    error: (err: unknown) => {
      settledAlready = true;
      outcome.error(err);
    },
    complete: () => {
      settledAlready = true;
      outcome.complete();
    },
  });
  if (!settledAlready) core.track(lastValueFrom(outcome));
  return outcome.asObservable();
}

/** See TidalDb.installCheckpoint. */
export async function installCheckpoint(core: DbCore, bytes: Uint8Array): Promise<boolean> {
  core.checkOpen();
  if (!core.isFollower()) throw new TidalError('InvalidInput', 'installCheckpoint() is for followers');
  if (!(bytes instanceof Uint8Array)) throw new WalError('Corruption', `shipped checkpoint: must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const owned = bytes.slice();
  const restored = verifyShippedCheckpoint(owned, core.state, core.opts.shardId);
  if (!restored) return false;
  const stored = storeShippedCheckpoint(core.store, restored.appliedSeq, owned);
  core.track(stored);
  if (!(await stored)) {
    // Storing failed and so did removing it: whether it landed only a reopen can tell. Fail closed until then.
    core.fatal = new TidalError('Failed', `installing the checkpoint at seqno ${restored.appliedSeq} failed and it may or may not be on disk: reopen the database to recover its durable state`);
    throw core.fatal;
  }
  // Stored: the live state is the checkpoint's from here on, whatever the cleanup below does.
  core.state = restored;
  core.wal.reserveSegmentIds(restored.nextSegmentId);
  core.freshness.noteApplied(restored.appliedSeq);
  core.appliedSubject.next(restored.appliedSeq);
  // If the cleanup fails, the covered segments stay listed; the next segment to store finishes it
  // first (finishCoveredDrop$), or their old ids would make this follower refuse the leader's forever.
  core.coveredDropSeq = restored.appliedSeq;
  await dropCoveredByCheckpoint(core.store, core.wal, restored.appliedSeq);
  core.coveredDropSeq = null;
  return true;
}

/** See TidalDb.promote. */
export async function promote(core: DbCore): Promise<number> {
  core.checkOpen();
  if (!core.isFollower()) throw new TidalError('InvalidInput', 'promote() is for followers: this database is already a leader');
  // An apply or install in flight (its receiver was stopped for the promotion) lands first, in the old epoch.
  while (core.inFlight.size > 0) await Promise.all([...core.inFlight]);
  core.checkOpen();
  const state = core.state;
  const before = { halfLives: state.halfLives, epoch: state.epoch, epochStartSeq: state.epochStartSeq, epochHistory: state.epochHistory };
  state.halfLives ??= defaultHalfLives();
  state.epoch += 1;
  state.epochStartSeq = state.appliedSeq + 1;
  state.epochHistory = [...state.epochHistory, [state.epoch, state.epochStartSeq] as const].slice(-MAX_EPOCH_HISTORY);
  core.role = 'leader';
  try {
    await core.writeCheckpoint();
  } catch (err) {
    // Not durable: still the follower it was (a reopen finds no new epoch unless the checkpoint landed after all).
    Object.assign(state, before);
    core.role = 'follower';
    throw err;
  }
  return state.epoch;
}
