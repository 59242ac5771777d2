/**
 * What the lag plot is drawn from: at one moment, each follower's lag split
 * by pipeline stage, in events and in ms. The split is a stack: the stages
 * add up to the follower's whole lag, so a stacked plot's top edge is it.
 */

/** One lag figure split by stage: ship (leader → shipped), transport (shipped → received), apply (received → applied). */
export interface StageSplit {
  readonly ship: number;
  readonly transport: number;
  readonly apply: number;
}

/** The stages, bottom of the stack first. */
export const STAGES = ['ship', 'transport', 'apply'] as const satisfies readonly (keyof StageSplit)[];

export type Stage = (typeof STAGES)[number];

/** One follower at one moment. */
export interface FollowerLagPoint {
  /** Lag in events by stage; the sum is leader seqno minus the follower's applied seqno. */
  readonly events: StageSplit;
  /**
   * Lag in ms by stage, cumulative as PostgreSQL's write/flush/replay lag:
   * `ship` is the age of the oldest event not yet shipped, `ship + transport`
   * of the oldest not yet received, and the sum of the oldest not yet applied.
   */
  readonly ms: StageSplit;
}

/** Every follower heard from, at `atMs`. */
export interface LagPlotSample {
  /** ms since recording began. */
  readonly atMs: number;
  /** By peer id; a follower not heard from yet is absent (a gap in its series). */
  readonly followers: ReadonlyMap<string, FollowerLagPoint>;
}

/** The sum of a split. */
export function stageTotal(split: StageSplit): number {
  return split.ship + split.transport + split.apply;
}
