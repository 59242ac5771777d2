/**
 * The demo's record of lag over time, for the lag plot: a pure reducer,
 * `(recording, input) => recording`, driven by `scan` over the leader's lag
 * reports and a sampling timer.
 *
 * A lag report holds each follower's shipped, received and applied seqnos.
 * To split the lag in ms by stage, the recording also keeps when the leader
 * was at which seqno (a mark per seqno seen: first and last time seen at it),
 * as the lag gauge does for its own ms figure: the oldest event after seqno
 * `s` was written after the last moment the leader was seen at `s` or below,
 * so its age is an upper bound, exact to the spacing of the marks.
 *
 *   report : --r-------r------r--
 *   sample : ----s---s---s---s---   (every LAG_SAMPLE_INTERVAL_MS)
 *   samples: ----1---2---3---4---   (each from the latest report, brought up to the leader's seqno then)
 */
import type { FollowerLag } from '../../src/index.js';
import type { LagReport } from '../replicationLag.js';
import type { FollowerLagPoint, LagPlotSample, StageSplit } from './lagPlotSample.js';

/**
 * 20 ms: 50 samples a second show each 200 ms ship interval as a visible
 * step, and keep the default demo (~2-3 s) at ~150 samples, ~100 KB of SVG.
 */
export const LAG_SAMPLE_INTERVAL_MS = 20;

/**
 * Samples kept: 2048 is ~40 s at the sampling interval. Past it every other
 * sample goes, so a long run is plotted coarser but never holds more.
 */
export const MAX_LAG_PLOT_SAMPLES = 2048;

/** Seqno marks kept; past this every other one goes (each kept one is still a moment the leader lacked what came after). */
export const MAX_SEQ_MARKS = 4096;

/** The leader was at `seq` from `firstMs` until at least `lastMs`. */
export interface SeqMark {
  readonly seq: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface LagRecording {
  /** When recording began, on the clock of the inputs' `atMs`. */
  readonly startMs: number;
  /** The latest lag report. */
  readonly report: LagReport;
  /** Ascending by seqno; only what the slowest follower's figures still need. */
  readonly marks: readonly SeqMark[];
  /** Oldest first; at most MAX_LAG_PLOT_SAMPLES. */
  readonly samples: readonly LagPlotSample[];
}

/** A lag report arrived, or it is time to take a sample; `leaderSeq` and `atMs` are read when the input happens. */
export type LagRecordingInput =
  | { readonly kind: 'report'; readonly report: LagReport; readonly leaderSeq: number; readonly atMs: number }
  | { readonly kind: 'sample'; readonly leaderSeq: number; readonly atMs: number };

/** A recording with nothing in it, begun at `startMs`. */
export function emptyLagRecording(startMs: number): LagRecording {
  return { startMs, report: {}, marks: [], samples: [] };
}

/** The recording after `input`: a report replaces the latest one, a sample appends the lag as of the input. */
export function lagRecordingStep(recording: LagRecording, input: LagRecordingInput): LagRecording {
  const report = input.kind === 'report' ? input.report : recording.report;
  const marks = pruneMarks(markSeq(recording.marks, input.leaderSeq, input.atMs), slowestApplied(report));
  if (input.kind === 'report') return { ...recording, report, marks };
  const sample = lagSample(report, marks, input.leaderSeq, input.atMs, input.atMs - recording.startMs);
  return { ...recording, marks, samples: thinned([...recording.samples, sample], MAX_LAG_PLOT_SAMPLES) };
}

/** Every follower in `report` with the leader at `leaderSeq` at `nowMs`, stamped `atMs`. */
export function lagSample(report: LagReport, marks: readonly SeqMark[], leaderSeq: number, nowMs: number, atMs: number): LagPlotSample {
  const followers = new Map<string, FollowerLagPoint>();
  for (const [peer, lag] of Object.entries(report)) followers.set(peer, followerLagPoint(lag, marks, leaderSeq, nowMs));
  return { atMs, followers };
}

/**
 * One follower's lag by stage. The seqnos are clamped into a chain
 * (applied ≤ received ≤ shipped ≤ leader) so the stages add up to the whole
 * lag in events, and the ages to the age of the oldest unapplied event.
 */
export function followerLagPoint(lag: FollowerLag, marks: readonly SeqMark[], leaderSeq: number, nowMs: number): FollowerLagPoint {
  const applied = Math.min(lag.appliedSeq, leaderSeq);
  const received = Math.min(Math.max(lag.receivedSeq, applied), leaderSeq);
  const shipped = Math.min(Math.max(lag.shippedSeq, received), leaderSeq);
  const events: StageSplit = { ship: leaderSeq - shipped, transport: shipped - received, apply: received - applied };
  const shipMs = ageAfter(marks, shipped, leaderSeq, nowMs);
  const receiveMs = Math.max(shipMs, ageAfter(marks, received, leaderSeq, nowMs));
  const applyMs = Math.max(receiveMs, ageAfter(marks, applied, leaderSeq, nowMs));
  return { events, ms: { ship: shipMs, transport: receiveMs - shipMs, apply: applyMs - receiveMs } };
}

/**
 * Age at `nowMs` of the oldest event after `seq`: 0 when the leader holds
 * none; else `nowMs` minus the last time the leader was seen at `seq` or
 * below (before the first mark, the first mark's time: a lower bound).
 */
export function ageAfter(marks: readonly SeqMark[], seq: number, leaderSeq: number, nowMs: number): number {
  if (seq >= leaderSeq || marks.length === 0) return 0;
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (marks[mid]!.seq > seq) hi = mid;
    else lo = mid + 1;
  }
  const sinceMs = lo > 0 ? marks[lo - 1]!.lastMs : marks[0]!.firstMs;
  return Math.max(0, nowMs - sinceMs);
}

/** The marks with the leader seen at `seq` at `atMs`. */
function markSeq(marks: readonly SeqMark[], seq: number, atMs: number): readonly SeqMark[] {
  const last = marks[marks.length - 1];
  if (last && last.seq === seq) return [...marks.slice(0, -1), { ...last, lastMs: atMs }];
  return thinned([...marks, { seq, firstMs: atMs, lastMs: atMs }], MAX_SEQ_MARKS);
}

/** Drops the marks no follower's figures need: all but the last one at or below the slowest applied seqno. */
function pruneMarks(marks: readonly SeqMark[], slowest: number): readonly SeqMark[] {
  let drop = 0;
  while (drop + 1 < marks.length && marks[drop + 1]!.seq <= slowest) drop++;
  return drop > 0 ? marks.slice(drop) : marks;
}

/** The lowest applied seqno in `report`; -Infinity (prune nothing) when it lists no follower. */
function slowestApplied(report: LagReport): number {
  const applied = Object.values(report).map((lag) => lag.appliedSeq);
  return applied.length > 0 ? Math.min(...applied) : -Infinity;
}

/** `items` if within `max`, else every other one and the newest. */
function thinned<T>(items: readonly T[], max: number): readonly T[] {
  if (items.length <= max) return items;
  const kept = items.filter((_, i) => i % 2 === 0);
  if (kept[kept.length - 1] !== items[items.length - 1]) kept.push(items[items.length - 1]!);
  return kept;
}
