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
 * The age in ms comes from samples of (leader lastSeq, last time seen at
 * it) taken on every input: the oldest unapplied event was written after the
 * last moment the leader was seen without it, so the figure is an upper
 * bound, exact to the spacing of the samples (a ship interval at most, since
 * ticks are inputs). Before the first sample that holds the follower's
 * position (a follower already behind when measuring began) it is the time
 * since measuring began: a lower bound.
 */
import {
  asyncScheduler, defer, map, merge, type Observable, type SchedulerLike, scan, share,
} from 'rxjs';
import type { FollowerLag, FollowerState } from '../src/index.js';
import type { ShipEvent } from './shipSegments.js';
import type { FollowerFeedback, PeerId } from './transport.js';

/** Lag of every follower, by peer id. */
export type LagReport = Readonly<Record<PeerId, FollowerLag>>;

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
 * 5 s: five missed heartbeats at the follower's default feedback interval
 * (1 s), so one slow round trip on a loaded machine does not flap the state.
 */
export const DEFAULT_DISCONNECTED_AFTER_MS = 5000;

/** Samples kept for the ms estimate; past this every other one goes (coarser, still an upper bound). */
export const MAX_LAG_SAMPLES = 4096;

interface PeerPosition {
  shipped: number;
  received: number;
  applied: number;
  /** When the follower was last heard from, ms; null: never. */
  heardAtMs: number | null;
  /** The leader's lastSeq when the follower (re)connected: the backlog to drain before it is streaming. */
  backlogSeq: number;
  /** True once it applied its backlog since it last (re)connected. */
  caughtUp: boolean;
}

/** The leader was at `seq` from `firstMs` (first seen) until at least `atMs` (last seen). */
export interface Sample {
  readonly seq: number;
  readonly firstMs: number;
  atMs: number;
}

/** What the lag is computed from; `lagReport` turns it into figures at any moment. */
export interface LagState {
  readonly samples: Sample[];
  readonly peers: Map<PeerId, PeerPosition>;
  /** See ReplicationLagInputs.disconnectedAfterMs. */
  readonly disconnectedAfterMs: number;
}

type Input =
  | { kind: 'feedback'; f: FollowerFeedback }
  | { kind: 'shipped'; e: ShipEvent }
  | { kind: 'forget'; peer: PeerId }
  | { kind: 'join'; peer: PeerId }
  | { kind: 'tick' };

/**
 * Emits a {@link LagReport} on every input (ack, ship, tick).
 *
 *   shipped$  :  --a3-------a7--
 *   feedback$ :  -----a3---------a7
 *   result    :  --R--R----R-----R    (R.a.events: 3→0→4→0 with leader at 3, then 7)
 *
 * @see ReplicationLagGauge
 */
export function replicationLag(inputs: ReplicationLagInputs): Observable<LagReport> {
  const scheduler = inputs.scheduler ?? asyncScheduler;
  return replicationLagState(inputs).pipe(map((state) => lagReport(state, inputs.leaderSeq(), scheduler.now())), share());
}

/** The state behind {@link replicationLag}, emitted on every input: for gauges that report at other moments too. */
export function replicationLagState(inputs: ReplicationLagInputs): Observable<LagState> {
  const scheduler = inputs.scheduler ?? asyncScheduler;
  const all$: Observable<Input> = merge(
    inputs.feedback$.pipe(map((f): Input => ({ kind: 'feedback', f }))),
    inputs.shipped$.pipe(map((e): Input => ({ kind: 'shipped', e }))),
    ...(inputs.ticks$ ? [inputs.ticks$.pipe(map((): Input => ({ kind: 'tick' })))] : []),
    ...(inputs.forget$ ? [inputs.forget$.pipe(map((peer): Input => ({ kind: 'forget', peer })))] : []),
    ...(inputs.join$ ? [inputs.join$.pipe(map((peer): Input => ({ kind: 'join', peer })))] : []),
  );
  return defer(() => all$.pipe(
    scan((state: LagState, input: Input) => step(state, input, inputs.leaderSeq(), scheduler.now()), emptyLagState(inputs.disconnectedAfterMs)),
  ));
}

/** The state before any input. */
export function emptyLagState(disconnectedAfterMs = DEFAULT_DISCONNECTED_AFTER_MS): LagState {
  return { samples: [], peers: new Map(), disconnectedAfterMs };
}

function step(state: LagState, input: Input, leaderSeq: number, nowMs: number): LagState {
  const last = state.samples[state.samples.length - 1];
  if (last && last.seq === leaderSeq) last.atMs = nowMs; // still without seqno leaderSeq + 1 at nowMs
  else state.samples.push({ seq: leaderSeq, firstMs: nowMs, atMs: nowMs });
  if (state.samples.length > MAX_LAG_SAMPLES) thin(state.samples);
  if (input.kind === 'forget') state.peers.delete(input.peer);
  if (input.kind === 'join') position(state, input.peer);
  if (input.kind === 'shipped') position(state, input.e.peer).shipped = Math.max(position(state, input.e.peer).shipped, input.e.lastSeq);
  if (input.kind === 'feedback') heardFrom(state, position(state, input.f.peer), input.f, leaderSeq, nowMs);
  prune(state);
  return state;
}

function position(state: LagState, peer: PeerId): PeerPosition {
  let p = state.peers.get(peer);
  if (!p) state.peers.set(peer, (p = { shipped: 0, received: 0, applied: 0, heardAtMs: null, backlogSeq: 0, caughtUp: false }));
  return p;
}

/** Feedback from `p`: its marks move, and a first word after silence starts a new backlog to drain. */
function heardFrom(state: LagState, p: PeerPosition, f: FollowerFeedback, leaderSeq: number, nowMs: number): void {
  if (stateOf(p, state.disconnectedAfterMs, nowMs) === 'never-connected' || stateOf(p, state.disconnectedAfterMs, nowMs) === 'disconnected') {
    p.backlogSeq = leaderSeq;
    p.caughtUp = false;
  }
  p.heardAtMs = nowMs;
  p.applied = f.appliedSeq;
  p.received = Math.max(f.receivedSeq, f.appliedSeq);
  if (p.applied >= p.backlogSeq) p.caughtUp = true;
}

/** The state of a follower at `nowMs` (see FollowerState). */
function stateOf(p: PeerPosition, disconnectedAfterMs: number, nowMs: number): FollowerState {
  if (p.heardAtMs === null) return 'never-connected';
  if (nowMs - p.heardAtMs > disconnectedAfterMs) return 'disconnected';
  return p.caughtUp ? 'streaming' : 'catching-up';
}

/** Drops samples no follower's estimate needs: all but the last one at or below the slowest applied seqno. */
function prune(state: LagState): void {
  let slowest = Infinity;
  for (const p of state.peers.values()) slowest = Math.min(slowest, p.applied);
  if (!Number.isFinite(slowest)) return;
  let drop = 0;
  while (drop + 1 < state.samples.length && state.samples[drop + 1]!.seq <= slowest) drop++;
  if (drop > 0) state.samples.splice(0, drop);
}

/** Keeps every other sample (and the newest): each kept one is still a moment the leader lacked what came after it. */
function thin(samples: Sample[]): void {
  const newest = samples[samples.length - 1]!;
  const kept = samples.filter((_, i) => i % 2 === 0);
  if (kept[kept.length - 1] !== newest) kept.push(newest);
  samples.splice(0, samples.length, ...kept);
}

/** The lag of every follower at `nowMs`, with the leader at `leaderSeq`. */
export function lagReport(state: LagState, leaderSeq: number, nowMs: number): LagReport {
  const out: Record<PeerId, FollowerLag> = {};
  for (const [peer, p] of state.peers) {
    const shipped = Math.max(p.shipped, p.applied);
    out[peer] = {
      state: stateOf(p, state.disconnectedAfterMs, nowMs),
      events: Math.max(0, leaderSeq - p.applied),
      ms: lagMs(state.samples, p.applied, leaderSeq, nowMs),
      shippedSeq: shipped,
      receivedSeq: p.received,
      appliedSeq: p.applied,
      stages: {
        ship: Math.max(0, leaderSeq - shipped),
        transport: Math.max(0, shipped - p.received),
        apply: Math.max(0, p.received - p.applied),
      },
    };
  }
  return out;
}

/** Age of the oldest event after `applied`: now minus the last sample that did not yet hold it. */
export function lagMs(samples: readonly Sample[], applied: number, leaderSeq: number, nowMs: number): number {
  if (applied >= leaderSeq || samples.length === 0) return 0;
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid]!.seq > applied) hi = mid;
    else lo = mid + 1;
  }
  // lo 0: behind since before the first sample, which already held the event when first seen
  const since = lo > 0 ? samples[lo - 1]!.atMs : samples[0]!.firstMs;
  return Math.max(0, nowMs - since);
}
