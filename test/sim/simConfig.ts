/**
 * SimConfig: the shape of one run, drawn from its seed: how many followers,
 * the pipeline's intervals, segment and retention sizes, latencies and the
 * rates of segment faults on the leaders' links. Every draw of a run comes
 * from one of a few independent streams derived from the seed, so adding a
 * draw in one place does not reshuffle all the others.
 */
import type { WalOptions } from '../../src/index.js';
import { seededRandom } from '../../streams/seededRandom.js';

/** Probabilities that one shipped segment is dropped, duplicated, held back (reordered) or bit-flipped. */
export interface LinkFaultRates {
  readonly drop: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly corrupt: number;
}

export interface SimConfig {
  readonly steps: number;
  readonly followers: number;
  /** Virtual ms that pass in one step, [min, max]. */
  readonly stepMs: readonly [number, number];
  readonly shipIntervalMs: number;
  readonly feedbackIntervalMs: number;
  readonly retransmitAfterMs: number;
  /** 0: no periodic checkpoints. */
  readonly checkpointIntervalMs: number;
  readonly wal: WalOptions;
  /** Segments buffered per receiving node. */
  readonly capacity: number;
  readonly latencyMs: readonly [number, number];
  readonly syncMs: readonly [number, number];
  readonly linkFaults: LinkFaultRates;
  /** Macro faults (crashes, disk faults, partitions, promotions) in the run; at least 5. */
  readonly macroFaults: number;
}

/** The default and the cap of steps per run (issue 7: "each of up to 200 steps"). */
export const MAX_STEPS = 200;

/** Independent random streams of one run. */
export interface RunRandom {
  readonly config: () => number;
  readonly plan: () => number;
  readonly work: () => number;
  readonly disk: () => number;
  readonly network: () => number;
  readonly link: () => number;
}

export function runRandom(seed: number): RunRandom {
  const stream = (k: number) => seededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(k, 0x85ebca6b)) >>> 0);
  return { config: stream(1), plan: stream(2), work: stream(3), disk: stream(4), network: stream(5), link: stream(6) };
}

export function simConfig(random: () => number, steps = MAX_STEPS): SimConfig {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const rate = (max: number) => (random() < 0.25 ? 0 : random() * max);
  const wal: WalOptions = {
    maxSegmentBytes: int(1024, 6000),
    ...(random() < 0.4 ? { maxRetainedBytes: int(2000, 20_000) } : {}),
    ...(random() < 0.3 ? { retainSegments: int(0, 3) } : {}),
    // No ship cache: every segment shipped is read back from the disk (and may be gone to retention).
    ...(random() < 0.3 ? { shipCacheBytes: 0 } : {}),
  };
  return {
    steps: Math.min(steps, MAX_STEPS),
    followers: random() < 0.8 ? 2 : 3,
    stepMs: [5, int(30, 120)],
    shipIntervalMs: int(150, 600),
    feedbackIntervalMs: int(200, 600),
    retransmitAfterMs: int(600, 3000),
    checkpointIntervalMs: random() < 0.2 ? 0 : int(1000, 8000),
    wal,
    capacity: int(1, 6),
    latencyMs: [1, int(1, 30)],
    syncMs: [1, int(1, 10)],
    linkFaults: { drop: rate(0.15), duplicate: rate(0.15), reorder: rate(0.15), corrupt: rate(0.15) },
    macroFaults: int(5, 12),
  };
}
