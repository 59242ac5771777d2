/**
 * Replication lag, per follower, from what the leader sees: its own lastSeq,
 * what it shipped, and what followers report (received, applied).
 *
 *   events  = leader lastSeq - follower applied seqno
 *   ms      = age of the oldest event the follower has not applied
 *   stages  = ship (leader → shipped), transport (shipped → received),
 *             apply (received → applied), as PostgreSQL's pg_stat_replication
 *             splits write/flush/replay lag: where it is stuck.
 *
 * The inputs are stamped with the leader's lastSeq and the time as they come,
 * and folded by the pure reducer `lagStep` (lagStep.ts) in a `scan`.
 */
import { defer, map, merge, type Observable, type SchedulerLike, scan, share } from 'rxjs';
import type { ShipEvent } from './shipSegments.js';
import type { FollowerFeedback, PeerId } from './transport.js';
import { emptyLagState, type LagEvent, type LagInput, type LagReport, lagReport, type LagState, lagStep } from './lagStep.js';
import { DEFAULT_SCHEDULER } from './defaults.js';

/** What replicationLag emits (defined with the reducer, lagStep.ts). */
export type { LagReport } from './lagStep.js';

/** What {@link replicationLag} reads: the leader, the follower set, shipments and acks, and the scheduler. */
export interface ReplicationLagInputs {
  /** The leader's highest seqno now (e.g. `() => db.lastSeq`). */
  readonly leaderSeq: () => number;
  readonly feedback$: Observable<FollowerFeedback>;
  readonly shipped$: Observable<ShipEvent>;
  /** Extra moments to recompute at (e.g. seal ticks), so lag grows visibly while followers are silent. */
  readonly ticks$?: Observable<unknown>;
  /** Followers to forget (they left the set). */
  readonly forget$?: Observable<PeerId>;
  /** Followers that joined the set: listed (as 'never-connected') before they are heard from. */
  readonly join$?: Observable<PeerId>;
  /** A follower silent for longer than this, in ms, is 'disconnected'. Default DEFAULT_DISCONNECTED_AFTER_MS. */
  readonly disconnectedAfterMs?: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Emits a {@link LagReport} on every input (ack, ship, tick).
 *
 *   shipped$  :  --a3-------a7--
 *   feedback$ :  -----a3---------a7
 *   result    :  --R--R----R-----R    (R.a.events: 3→0→4→0 with leader at 3, then 7)
 *
 * @example
 * replicationLag({ leaderSeq: () => db.lastSeq, feedback$: transport.feedback(), shipped$ })
 *   .subscribe((report) => console.log(report.f1?.events, report.f1?.ms));
 *
 * @see ReplicationLagGauge
 * @see lagStep
 */
export function replicationLag(inputs: ReplicationLagInputs): Observable<LagReport> {
  const scheduler = inputs.scheduler ?? DEFAULT_SCHEDULER;
  return replicationLagState(inputs).pipe(map((state) => lagReport(state, inputs.leaderSeq(), scheduler.now())), share());
}

/** The state behind {@link replicationLag}, emitted on every input: for gauges that report at other moments too. */
export function replicationLagState(inputs: ReplicationLagInputs): Observable<LagState> {
  const scheduler = inputs.scheduler ?? DEFAULT_SCHEDULER;
  const all$: Observable<LagInput> = merge(
    inputs.feedback$.pipe(map((feedback): LagInput => ({ kind: 'feedback', feedback }))),
    inputs.shipped$.pipe(map((shipped): LagInput => ({ kind: 'shipped', shipped }))),
    ...(inputs.ticks$ ? [inputs.ticks$.pipe(map((): LagInput => ({ kind: 'tick' })))] : []),
    ...(inputs.forget$ ? [inputs.forget$.pipe(map((peer): LagInput => ({ kind: 'forget', peer })))] : []),
    ...(inputs.join$ ? [inputs.join$.pipe(map((peer): LagInput => ({ kind: 'join', peer })))] : []),
  );
  return defer(() => all$.pipe(
    map((input): LagEvent => ({ input, leaderSeq: inputs.leaderSeq(), atMs: scheduler.now() })),
    scan(lagStep, emptyLagState(inputs.disconnectedAfterMs)),
  ));
}
