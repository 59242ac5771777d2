import { defer, distinctUntilChanged, filter, isObservable, map, mergeMap, type Observable, of, pairwise, share, startWith, take } from 'rxjs';
import type { PeerId } from './transport.js';

/** The set of followers: fixed, or a stream of sets as followers join and leave. */
export type FollowerSet = readonly PeerId[] | Observable<readonly PeerId[]>;

/** One follower's time in the set: from joining until `left$` emits. */
export interface FollowerSession {
  readonly peer: PeerId;
  /** Emits once (then completes) when the follower leaves the set; never for a fixed set. */
  readonly left$: Observable<void>;
}

/**
 * Turns a follower set (or a stream of sets) into one session per join.
 *
 *   sets$   :  a----(ab)---b----(bc)-
 *   result  :  A----B------------C---   (A.left$ emits at the third set)
 *
 * A peer that leaves and rejoins starts a new session.
 */
export function followerSessions(followers: FollowerSet): Observable<FollowerSession> {
  const sets$ = (isObservable(followers) ? followers : of(followers)).pipe(
    map((set) => [...new Set(set)]),
    share(),
  );
  return defer(() => sets$.pipe(
    startWith([] as PeerId[]),
    pairwise(),
    mergeMap(([before, after]) => after.filter((p) => !before.includes(p))),
    map((peer) => ({
      peer,
      left$: sets$.pipe(filter((set) => !set.includes(peer)), take(1), map(() => undefined), distinctUntilChanged()),
    })),
  ));
}
