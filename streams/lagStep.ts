/**
 * The lag reducer: what the leader knows of each follower's position and of
 * its own past, folded event by event, `(state, event) => state`, with no
 * mutation; `lagReport` turns a state into figures at any moment.
 *
 *   event   (feedback | shipped | join | forget | tick, each stamped with the leader's lastSeq and the time)
 *     │
 *   lagStep ─▶ LagState { samples: (seq, firstMs, atMs)…, peers: peer → marks, heard, backlog }
 *     │
 *   lagReport(state, leaderSeq, nowMs) ─▶ { peer: { state, events, ms, stages } }
 *
 * The age in ms comes from samples of (leader lastSeq, last time seen at
 * it) taken at every event: the oldest unapplied event was written after the
 * last moment the leader was seen without it, so the figure is an upper
 * bound, exact to the spacing of the samples (a ship interval at most, since
 * ticks are events). Before the first sample that holds the follower's
 * position (a follower already behind when measuring began) it is the time
 * since measuring began: a lower bound.
 */
import type { FollowerLag, FollowerState } from '../src/index.js';
import type { ShipEvent } from './shipSegments.js';
import type { FollowerFeedback, PeerId } from './transport.js';
import { DEFAULT_DISCONNECTED_AFTER_MS } from './defaults.js';
import { MAX_LAG_SAMPLES } from './defaults.js';

/** Lag of every follower, by peer id. */
export type LagReport = Readonly<Record<PeerId, FollowerLag>>;

/** One follower's marks, as the leader knows them. */
export interface PeerPosition {
  readonly shipped: number;
  readonly received: number;
  readonly applied: number;
  /** When the follower was last heard from, ms; null: never. */
  readonly heardAtMs: number | null;
  /** The leader's lastSeq when the follower (re)connected: the backlog to drain before it is streaming. */
  readonly backlogSeq: number;
  /** True once it applied its backlog since it last (re)connected. */
  readonly caughtUp: boolean;
}

/** The leader was at `seq` from `firstMs` (first seen) until at least `atMs` (last seen). */
export interface Sample {
  readonly seq: number;
  readonly firstMs: number;
  readonly atMs: number;
}

/** What the lag is computed from; `lagReport` turns it into figures at any moment. */
export interface LagState {
  /** Oldest first; seqs strictly increasing. */
  readonly samples: readonly Sample[];
  readonly peers: ReadonlyMap<PeerId, PeerPosition>;
  /** A follower silent for longer than this, in ms, is 'disconnected'. */
  readonly disconnectedAfterMs: number;
}

/** What happened. */
export type LagInput =
  | { readonly kind: 'feedback'; readonly feedback: FollowerFeedback }
  | { readonly kind: 'shipped'; readonly shipped: ShipEvent }
  /** A follower left the set: forgotten. */
  | { readonly kind: 'forget'; readonly peer: PeerId }
  /** A follower joined the set: listed (as 'never-connected') before it is heard from. */
  | { readonly kind: 'join'; readonly peer: PeerId }
  /** A moment to sample at (a seal tick), so lag grows visibly while followers are silent. */
  | { readonly kind: 'tick' };

/** An input, stamped with the leader's lastSeq and the time when it came. */
export interface LagEvent {
  readonly input: LagInput;
  readonly leaderSeq: number;
  readonly atMs: number;
}

/** The state before any event. */
export function emptyLagState(disconnectedAfterMs = DEFAULT_DISCONNECTED_AFTER_MS): LagState {
  return { samples: [], peers: new Map(), disconnectedAfterMs };
}

const NEVER_HEARD: PeerPosition = { shipped: 0, received: 0, applied: 0, heardAtMs: null, backlogSeq: 0, caughtUp: false };

/**
 * The lag reducer: samples the leader's position, then moves the follower the
 * event is about; drops the samples no follower needs any more.
 */
export function lagStep(state: LagState, event: LagEvent): LagState {
  const samples = sampled(state.samples, event.leaderSeq, event.atMs);
  const peers = movedPeers(state, event);
  return { ...state, samples: pruned(samples, peers), peers };
}

function movedPeers(state: LagState, { input, leaderSeq, atMs }: LagEvent): ReadonlyMap<PeerId, PeerPosition> {
  if (input.kind === 'tick') return state.peers;
  if (input.kind === 'forget') {
    if (!state.peers.has(input.peer)) return state.peers;
    const peers = new Map(state.peers);
    peers.delete(input.peer);
    return peers;
  }
  const peer = input.kind === 'join' ? input.peer : input.kind === 'shipped' ? input.shipped.peer : input.feedback.peer;
  const before = state.peers.get(peer) ?? NEVER_HEARD;
  const after = input.kind === 'join' ? before
    : input.kind === 'shipped' ? { ...before, shipped: Math.max(before.shipped, input.shipped.lastSeq) }
      : heardFrom(before, input.feedback, leaderSeq, atMs, state.disconnectedAfterMs);
  if (after === before && state.peers.has(peer)) return state.peers;
  return new Map(state.peers).set(peer, after);
}

/** Feedback from a follower: its marks move, and a first word after silence starts a new backlog to drain. */
function heardFrom(p: PeerPosition, f: FollowerFeedback, leaderSeq: number, nowMs: number, disconnectedAfterMs: number): PeerPosition {
  const was = stateOf(p, disconnectedAfterMs, nowMs);
  const reconnected = was === 'never-connected' || was === 'disconnected';
  const backlogSeq = reconnected ? leaderSeq : p.backlogSeq;
  const applied = f.appliedSeq;
  return {
    shipped: p.shipped,
    received: Math.max(f.receivedSeq, f.appliedSeq),
    applied,
    heardAtMs: nowMs,
    backlogSeq,
    caughtUp: (reconnected ? false : p.caughtUp) || applied >= backlogSeq,
  };
}

/** The state of a follower at `nowMs` (see FollowerState). */
function stateOf(p: PeerPosition, disconnectedAfterMs: number, nowMs: number): FollowerState {
  if (p.heardAtMs === null) return 'never-connected';
  if (nowMs - p.heardAtMs > disconnectedAfterMs) return 'disconnected';
  return p.caughtUp ? 'streaming' : 'catching-up';
}

/** The samples with the leader seen at `seq` at `nowMs`: the last one stretched if it is at `seq`, a new one otherwise. */
function sampled(samples: readonly Sample[], seq: number, nowMs: number): readonly Sample[] {
  const last = samples[samples.length - 1];
  const next = last && last.seq === seq
    ? [...samples.slice(0, -1), { ...last, atMs: nowMs }] // still without seqno seq + 1 at nowMs
    : [...samples, { seq, firstMs: nowMs, atMs: nowMs }];
  return next.length > MAX_LAG_SAMPLES ? thinned(next) : next;
}

/** Without the samples no follower's estimate needs: all but the last one at or below the slowest applied seqno. */
function pruned(samples: readonly Sample[], peers: ReadonlyMap<PeerId, PeerPosition>): readonly Sample[] {
  let slowest = Infinity;
  for (const p of peers.values()) slowest = Math.min(slowest, p.applied);
  if (!Number.isFinite(slowest)) return samples;
  let drop = 0;
  while (drop + 1 < samples.length && samples[drop + 1]!.seq <= slowest) drop++;
  return drop > 0 ? samples.slice(drop) : samples;
}

/** Every other sample (and the newest): each kept one is still a moment the leader lacked what came after it. */
function thinned(samples: readonly Sample[]): readonly Sample[] {
  const newest = samples[samples.length - 1]!;
  const kept = samples.filter((_, i) => i % 2 === 0);
  if (kept[kept.length - 1] !== newest) kept.push(newest);
  return kept;
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
