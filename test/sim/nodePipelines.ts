/**
 * A node's replication pipeline, as the simulation runs it: the real
 * startLeader (through a FaultInjectingTransport on the node's network
 * endpoint) or startFollower, with what the oracle and the operator need to
 * hear from it; and the fault plan of a leader's link.
 */
import type { TidalDb } from '../../src/index.js';
import { type Fault, FaultInjectingTransport, type FaultPlanContext, startFollower, startLeader } from '../../streams/index.js';
import type { GuaranteeChecker } from './guaranteeChecker.js';
import type { LinkFaultRates, SimConfig } from './simConfig.js';
import type { SimNetwork } from './simNetwork.js';
import type { SimNode } from './simNode.js';
import type { SimScheduler } from './simScheduler.js';
import type { Trace } from './trace.js';

export interface PipelineDeps {
  readonly scheduler: SimScheduler;
  readonly config: SimConfig;
  readonly network: SimNetwork;
  readonly checker: GuaranteeChecker;
  readonly trace: Trace;
  /** Decides the fate of each segment a leader ships. */
  readonly linkFault: (ctx: FaultPlanContext) => Fault;
  /** A follower refused a genuine shipment as corrupt: it cannot take what its leader has. */
  readonly onRefusedGenuine: (node: SimNode) => void;
}

/** Starts `node`'s pipeline for its role over `db`, and makes it reachable. */
export function startNodePipeline(node: SimNode, db: TidalDb, deps: PipelineDeps): void {
  const { scheduler, config, network, checker, trace } = deps;
  network.setUp(node.id, true);
  if (node.role === 'leader') {
    const link = new FaultInjectingTransport(network.endpoint(node.id), { plan: deps.linkFault });
    node.link = link;
    node.shipper = startLeader({
      db, transport: link, followers: node.followers$, scheduler, shipIntervalMs: config.shipIntervalMs,
      retransmitAfterMs: config.retransmitAfterMs, checkpointIntervalMs: config.checkpointIntervalMs,
    });
    node.shipper.rejected$.subscribe((f) => {
      trace.add(`shipFailure ${node.id}>${f.peer} ${codeOf(f.error)}`);
      if (trace.verbose) trace.note(`  ${(f.error as Error).message}`);
    });
    return;
  }
  const receiver = startFollower({
    db, transport: network.endpoint(node.id), peer: node.id, scheduler,
    feedbackIntervalMs: config.feedbackIntervalMs, checkpointIntervalMs: config.checkpointIntervalMs,
  });
  node.receiver = receiver;
  receiver.applied$.subscribe((r) => checker.onApplied(node.id, r));
  receiver.rejected$.subscribe((r) => {
    const code = codeOf(r.error);
    if (code === 'Diverged') node.diverged = true;
    if (code === 'Corruption' && checker.lastDeliveryWasGenuine(node.id)) deps.onRefusedGenuine(node);
    trace.add(`reject ${node.id} ${r.segmentId}:${r.firstSeq}-${r.lastSeq} ${code}`);
    if (trace.verbose) trace.note(`  ${r.error.message}`);
  });
}

/** Stops `node`'s pipeline (every timer and subscription), keeping its link's fault counts. */
export function stopNodePipeline(node: SimNode): void {
  void node.shipper?.stop();
  void node.receiver?.stop();
  if (node.link) {
    for (const key of Object.keys(node.linkFaults) as (keyof SimNode['linkFaults'])[]) node.linkFaults[key] += node.link.counts[key];
  }
  node.shipper = null;
  node.receiver = null;
  node.link = null;
}

/**
 * The fate of each shipped segment, at `rates()` (which the run may change):
 * drop, duplicate, reorder or flip a bit. It first records the bytes the
 * leader handed over as genuine, for the oracle.
 */
export function linkFaultPlan(rates: () => LinkFaultRates, random: () => number, genuine: WeakSet<Uint8Array>): (ctx: FaultPlanContext) => Fault {
  return (ctx) => {
    genuine.add(ctx.segment.bytes);
    const r = random();
    const { drop, duplicate, reorder, corrupt } = rates();
    if (r < drop) return 'drop';
    if (r < drop + duplicate) return 'duplicate';
    if (r < drop + duplicate + reorder) return 'reorder';
    if (r < drop + duplicate + reorder + corrupt) return { corruptAt: Math.floor(random() * ctx.segment.bytes.length * 8) };
    return 'pass';
  };
}

export function codeOf(err: unknown): string {
  return (err as { code?: string }).code ?? (err as Error).name ?? 'unknown';
}
