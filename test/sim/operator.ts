/**
 * The operator of the simulated cluster, run before every step: what a
 * runbook says to do, done promptly and without judgement.
 * - a node that is down is started again after a few steps (wiped instead
 *   if it went down in the middle of its promotion);
 * - a node that fails closed (its log failed after an fsync or I/O error,
 *   or a checkpoint install ended in a state only a reopen can tell) is
 *   restarted, as after a power loss (it recovers its durable state);
 * - a follower that refused a newer epoch as Diverged is rebuilt;
 * - a deposed leader is retired (rebuilt as a follower) some time after the
 *   partition that hid it has healed: until then it keeps taking writes in
 *   its old epoch.
 */
import type { SimCluster } from './simCluster.js';

/** Per step, the chance the operator notices a deposed leader once the network has healed. */
const RETIRE_CHANCE = 0.25;

export function operate(cluster: SimCluster, random: () => number): void {
  for (const node of cluster.nodes.values()) {
    if (node.state === 'down' && node.abandonedEpoch !== null) {
      cluster.abandonPromotion(node);
    } else if (node.state === 'down') {
      if (--node.downSteps <= 0) cluster.start(node);
    } else if (node.isUp && node.db!.failure) {
      cluster.crash(node, 'power', `fail-stop: ${node.db!.failure.message}`);
    } else if (node.isUp && node.role === 'follower' && node.diverged) {
      cluster.rebuild(node, 'diverged');
    } else if (node.deposed && !cluster.network.partitioned && random() < RETIRE_CHANCE) {
      cluster.rebuild(node, 'retiring the deposed leader');
    }
  }
}
