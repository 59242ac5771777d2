/**
 * runSimulation: one seeded run of the whole system in virtual time.
 *
 * A leader and 2-3 followers (real TidalDb instances over SimDisks, real
 * startLeader/startFollower pipelines over a SimNetwork with a
 * FaultInjectingTransport on every leader link) run on one SimScheduler.
 * Each step lets 10-400 virtual ms pass, checks every guarantee, lets the
 * operator act, then writes or strikes a fault. After the last step the
 * faults stop, everything heals, and the run checks that every follower
 * converges on the leader; then every node loses power once more and must
 * reopen with nothing acknowledged lost.
 *
 * The run stops at the first violation. The same seed gives the same trace
 * hash.
 */
import type { FaultCounts } from '../../streams/index.js';
import { writeRandomly } from './clientWrites.js';
import { faultSteps, strikeFault } from './faultPlan.js';
import type { CheckCounts, Violation } from './guaranteeChecker.js';
import { ALL_WORKAROUNDS, type Workarounds } from './knownDefects.js';
import { operate } from './operator.js';
import { type ClusterStats, SimCluster } from './simCluster.js';
import { runRandom, type SimConfig, simConfig } from './simConfig.js';
import type { NetworkStats } from './simNetwork.js';
import { SimScheduler } from './simScheduler.js';
import { Trace } from './trace.js';

/** Virtual wall clock at the start of every run: 2024-01-01T00:00:00Z. */
export const START_MS = 1_704_067_200_000;
/** Scores are compared at one instant, an hour after the start (every run lasts well under that). */
export const QUERY_AT_MS = START_MS + 3_600_000;
/**
 * Every node is checked after every step in which its mark or epoch moved,
 * and every node this often regardless (a check costs ~10 µs; checking
 * unchanged nodes every step was a tenth of the run time).
 */
const FULL_CHECK_EVERY_STEPS = 10;
/** After the last step: how long (virtual ms) the healed cluster gets to converge. */
const SETTLE_MS = 60_000;
/** The settling runs in slices of this many ms, the operator acting between them. */
const SETTLE_SLICE_MS = 500;
/**
 * While settling, the clients write this many events a slice for this long:
 * a partition of up to 28 steps leaves an old-epoch follower at most ~100
 * writes ahead of the new leader, and 40 s of 2 writes a slice is 160.
 */
const SETTLE_WRITES_PER_SLICE = 2;
const SETTLE_WRITES_MS = 40_000;

export interface SimOptions {
  readonly seed: number;
  /** Steps, at most MAX_STEPS (200). */
  readonly steps?: number;
  /** Keep the trace lines (for --verbose). */
  readonly keepTrace?: boolean;
  /** Workarounds for known src/ defects; default all on (knownDefects.ts). */
  readonly workarounds?: Workarounds;
}

export interface SimResult {
  readonly seed: number;
  readonly config: SimConfig;
  readonly stepsRun: number;
  readonly virtualMs: number;
  readonly macroFaults: number;
  readonly linkFaults: number;
  readonly faults: number;
  readonly violations: readonly Violation[];
  readonly traceHash: string;
  readonly trace: readonly string[];
  readonly cluster: ClusterStats;
  readonly network: NetworkStats;
  readonly checks: CheckCounts;
  readonly actions: number;
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const random = runRandom(options.seed);
  const config = simConfig(random.config, options.steps);
  const scheduler = new SimScheduler(START_MS);
  const trace = new Trace(options.keepTrace ?? false, () => scheduler.now());
  const cluster = new SimCluster(scheduler, config, random, trace, QUERY_AT_MS, options.workarounds ?? ALL_WORKAROUNDS);
  const { violations } = cluster.checker;
  const strikeAt = faultSteps(random.plan, config.steps, config.macroFaults);
  let healAtStep = Infinity;
  let step = 0;
  let macroFaults = 0;
  /** Faults due but not struck yet (nothing could be struck at their step): they strike at the next steps. */
  let dueFaults = 0;
  try {
    for (; step < config.steps && violations.length === 0; step++) {
      await scheduler.runUntil(scheduler.now() + stepMs(config, random.plan));
      cluster.checker.checkStep(step % FULL_CHECK_EVERY_STEPS === 0);
      if (violations.length > 0) break;
      if (step >= healAtStep) {
        cluster.network.heal();
        healAtStep = Infinity;
        trace.add('heal');
      }
      operate(cluster, random.plan);
      const healIn = (steps: number) => (healAtStep = step + steps);
      if (strikeAt.has(step)) dueFaults++;
      const fault = dueFaults > 0 ? strikeFault(cluster, random.plan, healIn) : null;
      if (fault) {
        macroFaults++;
        dueFaults--;
      }
      const action = fault ?? workload(cluster, random.plan);
      trace.add(`step ${step} ${action} | ${[...cluster.nodes.values()].map((n) => n.summary()).join(' ')}`);
    }
    if (violations.length === 0) await settle(cluster, random.plan);
    if (violations.length === 0) await powerLossEverywhere(cluster);
  } catch (err) {
    cluster.checker.violate('engine', '-', `the simulation threw: ${(err as Error).stack ?? String(err)}`);
  }
  const linkFaults = [...cluster.nodes.values()].reduce((sum, n) => sum + faultsIn(n.linkFaults) + (n.link ? faultsIn(n.link.counts) : 0), 0);
  return {
    seed: options.seed, config, stepsRun: step, virtualMs: scheduler.now() - START_MS,
    macroFaults, linkFaults, faults: macroFaults + linkFaults, violations, traceHash: trace.digest(), trace: trace.lines,
    cluster: cluster.stats, network: cluster.network.stats, checks: cluster.checker.counts, actions: scheduler.actionsRun,
  };
}

function stepMs(config: SimConfig, random: () => number): number {
  const [min, max] = config.stepMs;
  return min + Math.floor(random() * (max - min + 1));
}

/** A step without a fault: mostly writes (now and then to a deposed leader that still runs), sometimes a checkpoint. */
function workload(cluster: SimCluster, random: () => number): string {
  const r = random();
  if (r < 0.25) return 'idle';
  const deposed = cluster.upNodes((n) => n.role === 'leader' && n.deposed);
  const leader = cluster.currentLeader();
  const target = deposed.length > 0 && random() < 0.35 ? deposed[Math.floor(random() * deposed.length)]! : leader?.isUp ? leader : null;
  if (!target) return 'idle (no leader up)';
  if (r < 0.28) {
    void target.db!.checkpoint().catch(() => {});
    return `checkpoint ${target.id}`;
  }
  const count = 1 + Math.floor(random() * 3);
  writeRandomly(cluster, target, count);
  return `write ${count} to ${target.id}`;
}

/**
 * Heals everything, stops the faults, and gives the cluster SETTLE_MS of
 * virtual time to converge: every follower up at the leader's lastSeq,
 * holding its history (liveness). The clients keep writing a little for the
 * first SETTLE_WRITES_MS: a follower that diverged ahead of the new leader
 * learns it (Diverged) only once the leader's log passes its mark.
 */
async function settle(cluster: SimCluster, random: () => number): Promise<void> {
  cluster.network.heal();
  cluster.setLinkFaults({ drop: 0, duplicate: 0, reorder: 0, corrupt: 0 });
  for (const node of cluster.nodes.values()) node.disk.faults.disarm();
  const deadline = cluster.scheduler.now() + SETTLE_MS;
  const writesUntil = cluster.scheduler.now() + SETTLE_WRITES_MS;
  while (cluster.scheduler.now() < deadline) {
    for (const node of cluster.nodes.values()) if (node.deposed) cluster.rebuild(node, 'retiring the deposed leader');
    operate(cluster, random);
    const leader = cluster.currentLeader();
    if (cluster.scheduler.now() < writesUntil && leader?.isUp && !leader.db!.failure) writeRandomly(cluster, leader, SETTLE_WRITES_PER_SLICE);
    await cluster.scheduler.runUntil(cluster.scheduler.now() + SETTLE_SLICE_MS);
    cluster.checker.checkStep(true);
    if (cluster.checker.violations.length > 0 || converged(cluster)) break;
  }
  if (!converged(cluster)) {
    const leader = cluster.currentLeader();
    cluster.checker.violate('liveness', leader?.id ?? '-', `not converged ${SETTLE_MS} ms after healing: ${[...cluster.nodes.values()].map((n) => n.summary()).join(' ')}`);
  }
}

/** Every follower up at the leader's lastSeq, holding the leader's history (its epoch may lag if the leader wrote nothing since). */
function converged(cluster: SimCluster): boolean {
  const leader = cluster.currentLeader();
  if (!leader?.isUp || leader.db!.failure) return false;
  const log = cluster.logs.get(leader.db!.epoch)!;
  return [...cluster.nodes.values()].every((n) => n === leader || (n.isUp && n.role === 'follower' && !n.db!.failure
    && n.db!.lastSeq === leader.db!.lastSeq && n.db!.epoch <= leader.db!.epoch && log.expectedAt(n.db!.lastSeq).differences(n.db!) === null));
}

/** Every node loses power at once and reopens: G4 and G1 are checked at each open. */
async function powerLossEverywhere(cluster: SimCluster): Promise<void> {
  for (const node of cluster.nodes.values()) cluster.crash(node, 'power', 'final power loss', false);
  for (const node of cluster.nodes.values()) {
    if (node.abandonedEpoch !== null) cluster.abandonPromotion(node);
    else cluster.start(node);
  }
  for (let i = 0; i < 20 && ![...cluster.nodes.values()].every((n) => n.isUp); i++) {
    await cluster.scheduler.runUntil(cluster.scheduler.now() + SETTLE_SLICE_MS);
  }
  if (![...cluster.nodes.values()].every((n) => n.isUp)) {
    cluster.checker.violate('open', '-', `not every node reopened after the final power loss: ${[...cluster.nodes.values()].map((n) => n.summary()).join(' ')}`);
  }
}

function faultsIn(c: FaultCounts): number {
  return c.drop + c.duplicate + c.reorder + c.corrupt;
}
