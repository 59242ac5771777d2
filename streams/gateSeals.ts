import { filter, map, merge, type MonoTypeOperatorFunction, type Observable, scan } from 'rxjs';

/** The gate's state: whether a seal is owed, and whether the last event seals. */
export interface SealGateState {
  /** A wake came while no follower could take a segment: seal at the first recheck that finds one. */
  readonly owed: boolean;
  /** This event seals. */
  readonly seal: boolean;
}

/** A wake (a tick, or a commit in ship-on-commit mode) or a recheck (a follower's ack), with the readiness then. */
export interface SealGateEvent {
  readonly kind: 'wake' | 'recheck';
  readonly ready: boolean;
}

/** The gate as a pure reducer: a wake seals when ready and is owed otherwise; a recheck pays what is owed once ready. */
export function sealGateStep(state: SealGateState, event: SealGateEvent): SealGateState {
  if (event.ready && (event.kind === 'wake' || state.owed)) return { owed: false, seal: true };
  if (event.kind === 'wake') return { owed: true, seal: false };
  return { owed: state.owed, seal: false };
}

/** Where one follower in the set stands, as the gate needs it. */
export interface FollowerPosition {
  /** What it acked last (0 before its first ack). */
  readonly ackedSeq: number;
  /** Scheduler time its ack last moved forward (or its first feedback); null when never heard from. */
  readonly progressAtMs: number | null;
}

/** What the gate weighs besides the followers. */
export interface SealPace {
  /** The last seqno in a sealed segment. */
  readonly sealedThroughSeq: number;
  readonly nowMs: number;
  /** When the gate last let a seal through; null before the first. */
  readonly lastSealAtMs: number | null;
  /** A follower whose ack has not moved for this long, nor a seal been let through, no longer paces sealing. */
  readonly stalledAfterMs: number;
}

/**
 * True when a segment sealed now would be shipped at once: no follower is in
 * the set, or one has acked everything sealed so far, or one is never heard
 * from, or one is stalled: neither its ack moved nor a seal went through for
 * `stalledAfterMs` (a lost segment, a dead link, a segment it takes long to
 * apply). Pacing by a follower that is not moving would stop sealing; one
 * seal per stall period lets a lost segment show as a gap and be re-sent,
 * without flooding a follower that is only slow.
 */
export function followerCanTakeSegment(followers: readonly FollowerPosition[], pace: SealPace): boolean {
  if (followers.length === 0) return true;
  const sinceSeal = pace.lastSealAtMs === null ? Infinity : pace.nowMs - pace.lastSealAtMs;
  return followers.some((f) => f.ackedSeq >= pace.sealedThroughSeq || f.progressAtMs === null
    || Math.min(pace.nowMs - f.progressAtMs, sinceSeal) > pace.stalledAfterMs);
}

/**
 * Ack-clocked sealing: passes a wake only while some follower can take a new
 * segment at once (`ready()`); a wake that comes while every follower is
 * still applying what it was sent is owed, and passes at the first `recheck$`
 * (an ack) that finds one ready. Many wakes while busy owe one seal. So
 * segments are as small as the followers can take and no smaller: a smaller
 * ship interval (or sealing on every commit) cannot flood a follower with
 * segments faster than it applies them, which would raise lag rather than
 * lower it.
 *
 *   wake$    :  --w---w--w------
 *   recheck$ :  ------------r---
 *   ready()  :    T   F  F  T
 *   result   :  --s---------s---
 *
 * @param recheck$ when readiness may have changed (follower feedback)
 * @param ready read at each wake and recheck (see followerCanTakeSegment)
 * @see sealedSegments
 */
export function gateSeals(recheck$: Observable<unknown>, ready: () => boolean): MonoTypeOperatorFunction<unknown> {
  return (wake$) => merge(
    wake$.pipe(map((): SealGateEvent['kind'] => 'wake')),
    recheck$.pipe(map((): SealGateEvent['kind'] => 'recheck')),
  ).pipe(
    scan((state: SealGateState, kind: SealGateEvent['kind']) => sealGateStep(state, { kind, ready: ready() }), { owed: false, seal: false }),
    filter((state) => state.seal),
    map(() => undefined),
  );
}
