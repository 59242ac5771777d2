/**
 * A database's replica-facing seam: applying a shipped segment (verify,
 * skip, refuse a gap, store durably, then apply), installing a leader's
 * checkpoint, and promoting a follower to leader. Each works on the one
 * DbCore that TidalDb holds.
 */
import { catchError, concat, defer, EMPTY, from, lastValueFrom, map, mergeMap, type Observable, of, ReplaySubject } from 'rxjs';
import { TidalError, WalError } from '../errors.js';
import { defaultHalfLives } from '../ledger/halfLives.js';
import { MAX_EPOCH_HISTORY } from '../limits.js';
import type { DecodedSegment } from '../wal/decodeSegment.js';
import { headerMetaKey } from '../wal/segmentHeader.js';
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
    checkBeforeStore(core, owned, decoded);
    return storeAndApplyRun$(core, [{ payload: owned, decoded }]).pipe(map((results) => results[0]!));
  });
}

/** The checks a segment passes before it is stored (the others are in applySegment$). */
function checkBeforeStore(core: DbCore, owned: WalSegmentPayload, decoded: DecodedSegment): void {
  checkSegmentIdAfter(core.wal.sealedSegments.at(-1)?.segmentId ?? 0, owned);
  if (core.state.halfLives !== null) core.state.agreeHalfLives(decoded.header.halfLives, `segment ${owned.segmentId}`);
}

/**
 * Stores a run of segments that continue one another (see runAfter) as one
 * group commit, then applies them in order. Durable first, then applied,
 * then acknowledged: an ack never runs ahead of the data. Every check is
 * done: from here on the apply cannot fail half-way, and once the store has
 * started it runs to the apply even if the caller unsubscribes (promote()
 * waits for it).
 */
function storeAndApplyRun$(core: DbCore, run: readonly VerifiedPayload[]): Observable<ApplyResult[]> {
  return runToCompletion(core, core.wal.storeSealedGroup$(run.map((r) => r.payload)).pipe(map(() => {
    const results = run.map(({ payload, decoded }) => {
      const state = core.state;
      state.agreeHalfLives(decoded.header.halfLives, `segment ${payload.segmentId}`);
      if (decoded.header.epoch > state.epoch) {
        state.epochStartSeq = decoded.header.epochStartSeq;
        state.epochHistory = decoded.header.epochHistory;
      }
      state.epoch = decoded.header.epoch;
      return core.counted(applyDecodedSegment(state, payload, decoded));
    });
    core.checkpointIfBytesDue();
    return results;
  })));
}

/** A shipped segment whose checksum has been verified, with its decoding. */
export interface VerifiedPayload {
  readonly payload: WalSegmentPayload;
  readonly decoded: DecodedSegment;
}

/** What applying one segment of a group gave: its result, or the error that refused it. */
export type GroupOutcome = { readonly result: ApplyResult } | { readonly error: Error };

/**
 * See TidalDb.applySegmentGroup$: applies segments that arrived together, in
 * order, with the outcome of each exactly as applySegment$ would give it one
 * at a time, but storing each run of segments that continue one another
 * (seqnos contiguous, ids growing, same header meta, all new) with one
 * fsync: the follower's group commit.
 */
export function applySegmentGroup$(core: DbCore, group: readonly VerifiedPayload[]): Observable<GroupOutcome> {
  // A gap is reported before anything else about a segment, as idempotentReplay always has.
  return defer(() => {
    if (group.length === 0) return EMPTY;
    const first = group[0]!;
    const appliedSeq = core.state.appliedSeq;
    if (first.decoded.header.firstSeq > appliedSeq + 1 && first.decoded.lastSeq > appliedSeq) {
      const error = new WalError('Gap', `segment ${first.payload.segmentId} starts at seqno ${first.decoded.header.firstSeq}, but this follower has applied only up to ${appliedSeq}`);
      return concat(of({ error }), defer(() => applySegmentGroup$(core, group.slice(1))));
    }
    const runLength = runAfter(core, group);
    const head$: Observable<GroupOutcome[]> = runLength < 2
      ? applySegment$(core, first.payload, first.decoded).pipe(map((result) => [{ result }]))
      : storeAndApplyRun$(core, group.slice(0, runLength)).pipe(map((results) => results.map((result) => ({ result }))));
    const failed = (error: Error): Observable<GroupOutcome[]> => of(group.slice(0, Math.max(1, runLength)).map(() => ({ error })));
    return concat(
      head$.pipe(catchError(failed), mergeMap((outcomes) => from(outcomes))),
      defer(() => applySegmentGroup$(core, group.slice(Math.max(1, runLength)))),
    );
  });
}

/**
 * How many segments from the start of `group` form a run to store at once:
 * the first passes every check applySegment$ makes before storing, and each
 * next one continues the previous (seqnos contiguous, id after it, same
 * header meta, so the same epoch and half-lives, and verified). 0 or 1: none.
 */
function runAfter(core: DbCore, group: readonly VerifiedPayload[]): number {
  const first = group[0]!;
  try {
    core.checkOpen();
    if (group.length < 2 || !wasVerified(first.payload, first.decoded)) return 0;
    const { decoded } = first;
    if (decoded.header.shardId !== core.opts.shardId || core.coveredDropSeq !== null) return 0;
    checkEpoch(core.state, first.payload, decoded);
    if (decoded.header.firstSeq > core.state.appliedSeq + 1 || decoded.lastSeq <= core.state.appliedSeq) return 0;
    checkBeforeStore(core, first.payload, decoded);
  } catch {
    return 0; // applySegment$ reports it
  }
  const key = headerMetaKey(first.payload.bytes);
  let n = 1;
  while (n < group.length && continuesRun(group[n - 1]!, group[n]!, key)) n++;
  return n;
}

function continuesRun(prev: VerifiedPayload, next: VerifiedPayload, key: string): boolean {
  return wasVerified(next.payload, next.decoded)
    && next.decoded.header.firstSeq === prev.decoded.lastSeq + 1
    && next.payload.segmentId > prev.payload.segmentId
    && headerMetaKey(next.payload.bytes) === key;
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
