/**
 * The fault plan of a run: at which steps a macro fault strikes, and what
 * each fault does to the cluster. Segment faults on the links (drops,
 * duplicates, reorders, bit flips) are not here: they strike every shipped
 * segment with the run's rates (SimCluster.linkFault).
 */
import type { CrashPoint, DiskOp } from './diskFaults.js';
import type { SimCluster } from './simCluster.js';
import type { SimNode } from './simNode.js';

export type MacroFault =
  | 'crashLeader' | 'crashFollower' | 'crashProcess' | 'crashLeaderAtOp' | 'crashFollowerMidApply'
  | 'gracefulRestart' | 'fsyncFailure' | 'eio' | 'partition' | 'promote';

/** Relative frequencies; a fault that cannot strike now (nothing to promote, already partitioned) draws again. */
const FAULT_WEIGHTS: ReadonlyArray<readonly [MacroFault, number]> = [
  ['crashLeader', 2], ['crashFollower', 2], ['crashProcess', 1], ['crashLeaderAtOp', 2], ['crashFollowerMidApply', 2.5],
  ['gracefulRestart', 1], ['fsyncFailure', 1.5], ['eio', 2], ['partition', 1.5], ['promote', 2],
];

const LEADER_CRASH_OPS: readonly DiskOp[] = ['append', 'sync', 'sync', 'create', 'write', 'remove', 'list', 'read', 'reopen'];
/** A follower's apply is a write of the segment file (then the state); its checkpoints are writes and removes. */
const FOLLOWER_CRASH_OPS: readonly DiskOp[] = ['write', 'write', 'write', 'sync', 'remove', 'list', 'read'];

/** Picks `count` distinct steps in [2, steps - 1) for the macro faults. */
export function faultSteps(random: () => number, steps: number, count: number): Set<number> {
  const chosen = new Set<number>();
  const span = Math.max(1, steps - 3);
  for (let guard = 0; chosen.size < Math.min(count, span) && guard < 10_000; guard++) chosen.add(2 + Math.floor(random() * span));
  return chosen;
}

/** What a fault does; null when it cannot strike now. */
export type FaultEffect = string | null;

/** Draws a fault that can strike now and strikes; returns its description (null if none could). */
export function strikeFault(cluster: SimCluster, random: () => number, healIn: (steps: number) => void): string | null {
  for (let attempt = 0; attempt < 20; attempt++) {
    const fault = drawFault(random);
    const effect = strike(cluster, fault, random, healIn);
    if (effect !== null) return `${fault}: ${effect}`;
  }
  return null;
}

function drawFault(random: () => number): MacroFault {
  const total = FAULT_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [fault, w] of FAULT_WEIGHTS) if ((r -= w) < 0) return fault;
  return FAULT_WEIGHTS[0]![0];
}

function strike(cluster: SimCluster, fault: MacroFault, random: () => number, healIn: (steps: number) => void): FaultEffect {
  const pick = <T>(xs: readonly T[]): T | null => (xs.length === 0 ? null : xs[Math.floor(random() * xs.length)]!);
  const leader = cluster.currentLeader();
  const upLeader = leader?.isUp ? leader : null;
  const follower = pick(cluster.upNodes((n) => n.role === 'follower'));
  const anyNode = pick(cluster.upNodes());
  switch (fault) {
    case 'crashLeader': return upLeader && crashed(cluster, upLeader, 'power');
    case 'crashFollower': return follower && crashed(cluster, follower, 'power');
    case 'crashProcess': return anyNode && crashed(cluster, anyNode, 'process');
    case 'crashLeaderAtOp': return upLeader && armed(upLeader, crashPoint(random, LEADER_CRASH_OPS));
    case 'crashFollowerMidApply': return follower && armed(follower, crashPoint(random, FOLLOWER_CRASH_OPS));
    case 'gracefulRestart':
      if (!anyNode) return null;
      cluster.restart(anyNode);
      return anyNode.id;
    case 'fsyncFailure':
      if (!anyNode) return null;
      anyNode.disk.faults.failNextSync();
      return anyNode.id;
    case 'eio': {
      if (!anyNode) return null;
      const inOps = 1 + Math.floor(random() * 40);
      anyNode.disk.faults.armEio(inOps);
      return `${anyNode.id} in ${inOps} ops`;
    }
    case 'partition': return partition(cluster, random, healIn, null);
    case 'promote': return promote(cluster, random, healIn);
  }
}

function crashed(cluster: SimCluster, node: SimNode, mode: 'power' | 'process'): string {
  cluster.crash(node, mode, 'fault plan');
  return node.id;
}

function armed(node: SimNode, point: CrashPoint): string {
  node.disk.faults.armCrash(point);
  return `${node.id} at ${point.op} #${point.skip + 1}${point.afterEffect ? ' after its effect' : ''}`;
}

function crashPoint(random: () => number, ops: readonly DiskOp[]): CrashPoint {
  return { op: ops[Math.floor(random() * ops.length)]!, skip: Math.floor(random() * 3), afterEffect: random() < 0.5 };
}

/** Splits the nodes in two; `with` (if given) is kept apart from the current leader. */
function partition(cluster: SimCluster, random: () => number, healIn: (steps: number) => void, apart: SimNode | null): FaultEffect {
  if (cluster.network.partitioned) return null;
  const leader = cluster.currentLeader();
  const ids = [...cluster.nodes.keys()];
  const side = new Map(ids.map((id) => [id, random() < 0.5 ? 0 : 1]));
  if (leader) side.set(leader.id, 0);
  if (apart) side.set(apart.id, 1);
  if (![...side.values()].includes(1)) side.set(ids.find((id) => id !== leader?.id)!, 1);
  if (![...side.values()].includes(0)) side.set(ids[0]!, 0);
  const groups = [0, 1].map((g) => ids.filter((id) => side.get(id) === g));
  cluster.network.partition(groups);
  healIn(3 + Math.floor(random() * 25));
  return groups.map((g) => g.join(',')).join(' | ');
}

/**
 * Promotion during a partition: the most up-to-date follower of the newest
 * epoch is cut off from the leader and promoted; the old leader keeps taking
 * writes in the old epoch until it is retired.
 */
function promote(cluster: SimCluster, random: () => number, healIn: (steps: number) => void): FaultEffect {
  const newest = Math.max(...cluster.logs.keys());
  // One promotion at a time: a second one started before the first resolved would take the same new epoch.
  if ([...cluster.nodes.values()].some((n) => n.state === 'promoting' || n.abandonedEpoch !== null)) return null;
  const candidates = cluster.upNodes((n) => n.role === 'follower' && !n.diverged && n.db!.epoch === newest && !cluster.logs.has(newest + 1));
  const best = candidates.sort((a, b) => b.db!.lastSeq - a.db!.lastSeq)[0];
  if (!best) return null;
  const split = cluster.network.partitioned ? 'already partitioned' : partition(cluster, random, healIn, best);
  // Its periodic checkpoint may be in flight as it is promoted (promote-checkpoint-race, fixed in 9d8e534).
  if (random() < 0.5) void best.db!.checkpoint().catch(() => {});
  cluster.promote(best);
  return `${best.id} at ${best.db!.lastSeq} (${split})`;
}
