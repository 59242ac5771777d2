/**
 * SimCluster: the simulated deployment and its operator. It owns the nodes,
 * the network, the reference logs and the oracle, and does to them what the
 * fault plan says: writes, crashes (power loss or process exit, or at an
 * armed disk operation), graceful restarts, disk faults, partitions,
 * promotions. Like a careful operator it also restarts what is down,
 * restarts a node whose log failed (fail-stop), rebuilds a diverged
 * follower and retires a deposed leader once the partition has healed.
 *
 * Everything asynchronous (opening, closing, promoting) is started here and
 * finishes as the scheduler runs; callbacks of an older incarnation of a
 * node are ignored, as a dead process's would be.
 */
import { TidalDb } from '../../src/index.js';
import { GuaranteeChecker } from './guaranteeChecker.js';
import type { Workarounds } from './knownDefects.js';
import { linkFaultPlan, type PipelineDeps, startNodePipeline, stopNodePipeline } from './nodePipelines.js';
import { ReferenceLog } from './referenceLog.js';
import type { RunRandom, SimConfig } from './simConfig.js';
import { SimDisk, type SimDiskEnv } from './simDisk.js';
import { SimNetwork } from './simNetwork.js';
import { SimNode } from './simNode.js';
import type { SimScheduler } from './simScheduler.js';
import { SimVolume } from './simVolume.js';
import type { Trace } from './trace.js';
import { HALF_LIFE_MS } from './workload.js';

export interface ClusterStats {
  /** Crashes of a node during the steps (power loss or process exit; the final power loss is not counted). */
  crashes: number;
  writes: number;
  acked: number;
  rejected: number;
  opens: number;
  promotions: number;
  rebuilds: number;
  /** Genuine shipments a follower refused as corrupt. */
  refusedGenuine: number;
}

export class SimCluster {
  readonly nodes = new Map<string, SimNode>();
  readonly logs = new Map<number, ReferenceLog>();
  readonly network: SimNetwork;
  readonly checker: GuaranteeChecker;
  readonly stats: ClusterStats = { crashes: 0, writes: 0, acked: 0, rejected: 0, opens: 0, promotions: 0, rebuilds: 0, refusedGenuine: 0 };
  readonly clock: () => number;
  private linkRates: SimConfig['linkFaults'];
  private readonly pipelines: PipelineDeps;

  constructor(
    readonly scheduler: SimScheduler,
    readonly config: SimConfig,
    readonly random: RunRandom,
    private readonly trace: Trace,
    queryAtMs: number,
    readonly workarounds: Workarounds,
  ) {
    this.clock = () => scheduler.now();
    this.linkRates = config.linkFaults;
    this.checker = new GuaranteeChecker(this.nodes, this.logs, queryAtMs);
    this.network = new SimNetwork(
      { scheduler, random: random.network, capacity: config.capacity, latencyMs: config.latencyMs },
      {
        onDeliver: (node, s) => {
          this.checker.onDeliver(node, s);
          this.trace.add(`deliver ${node} ${'kind' in s ? `checkpoint@${s.seq}` : `${s.segmentId}:${s.firstSeq}-${s.lastSeq}`}${this.checker.genuine.has(s.bytes) ? '' : ' corrupt'}`);
        },
        onFeedback: (node, f) => this.checker.onFeedback(node, f),
      },
    );
    this.pipelines = {
      scheduler, config, network: this.network, checker: this.checker, trace,
      linkFault: linkFaultPlan(() => this.linkRates, random.link, this.checker.genuine),
      onRefusedGenuine: (node) => {
        this.stats.refusedGenuine++;
        // The stale-segment-id workaround (knownDefects.ts): such a follower is stuck; the operator rebuilds it.
        if (this.workarounds.rebuildStuckFollower) node.diverged = true;
      },
    };
    this.logs.set(0, new ReferenceLog(0, queryAtMs));
    const ids = ['n0', ...Array.from({ length: config.followers }, (_, i) => `n${i + 1}`)];
    for (const id of ids) this.nodes.set(id, new SimNode(id, id === 'n0' ? 'leader' : 'follower', this.emptyDisk(id)));
    this.nodes.get('n0')!.followers$.next(ids.slice(1));
    for (const node of this.nodes.values()) this.open(node);
  }

  /** The leader of the newest epoch (not deposed), up or not. */
  currentLeader(): SimNode | null {
    let best: SimNode | null = null;
    for (const n of this.nodes.values()) if (n.role === 'leader' && !n.deposed && (!best || n.epoch > best.epoch)) best = n;
    return best;
  }

  upNodes(pick: (n: SimNode) => boolean = () => true): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.isUp && pick(n));
  }

  /** The process dies: 'power' loses the page cache too, 'process' keeps it. */
  crash(node: SimNode, mode: 'power' | 'process', why: string, counted = true): void {
    this.trace.add(`crash ${node.id} ${mode}: ${why}`);
    if (counted) this.stats.crashes++;
    this.stop(node);
    node.disk = mode === 'power' ? node.disk.afterPowerLoss(this.diskEnv(node)) : node.disk.afterRestart(this.diskEnv(node));
    node.state = 'down';
    node.downSteps = 1 + Math.floor(this.random.plan() * 6);
  }

  /** close(), then open again on the same disk (page cache intact). */
  restart(node: SimNode): void {
    const db = node.db!;
    this.trace.add(`restart ${node.id}`);
    this.stop(node);
    node.state = 'opening';
    const incarnation = node.incarnation;
    const reopen = () => {
      if (node.incarnation !== incarnation) return;
      node.disk = node.disk.afterRestart(this.diskEnv(node));
      this.open(node);
    };
    db.close().then(reopen, reopen);
  }

  /** Opens a node that is down on the disk it has now. */
  start(node: SimNode): void {
    node.disk = node.disk.afterRestart(this.diskEnv(node));
    this.open(node);
  }

  /**
   * Promotes `node` (an up follower of the newest epoch): stops its
   * receiver and calls promote(), which first lets an apply in flight land.
   * Once it resolves, the node leads a new epoch whose reference log is the
   * old one's prefix at its mark. If it crashes or fails first, the operator
   * wipes it and the epoch is dropped (its promotion may have been durable).
   */
  promote(node: SimNode): void {
    const db = node.db!;
    const fromEpoch = db.epoch;
    const toEpoch = fromEpoch + 1;
    this.trace.add(`promote ${node.id} from epoch ${fromEpoch} at ${db.lastSeq}`);
    void node.receiver?.stop();
    node.receiver = null;
    this.checker.forget(node.id);
    node.state = 'promoting';
    node.abandonedEpoch = toEpoch;
    const incarnation = node.incarnation;
    db.promote().then((epoch) => {
      if (node.incarnation !== incarnation) return;
      if (epoch !== toEpoch) this.checker.violate('engine', node.id, `promote() from epoch ${fromEpoch} returned epoch ${epoch}`);
      this.logs.set(epoch, this.logs.get(fromEpoch)!.fork(epoch, db.lastSeq));
      this.trace.add(`promoted ${node.id} to epoch ${epoch} at ${db.lastSeq}`);
      for (const other of this.nodes.values()) if (other.role === 'leader' && other !== node) other.deposed = true;
      Object.assign(node, { role: 'leader', epoch, state: 'up', abandonedEpoch: null });
      this.stats.promotions++;
      node.followers$.next(this.followerIds(node));
      startNodePipeline(node, db, this.pipelines);
    }, (err: Error) => {
      if (node.incarnation === incarnation) this.crash(node, 'process', `promote failed: ${err.message}`);
    });
  }

  /** A promotion that did not finish: the node is wiped (nobody else can hold its new epoch). */
  abandonPromotion(node: SimNode): void {
    const epoch = node.abandonedEpoch!;
    node.abandonedEpoch = null;
    this.rebuild(node, `promotion to epoch ${epoch} interrupted`);
  }

  /** Wipes `node` and starts it as an empty follower of the current leader (a diverged follower, a deposed leader). */
  rebuild(node: SimNode, why: string): void {
    this.trace.add(`rebuild ${node.id}: ${why}`);
    this.stop(node);
    node.disk.kill();
    node.disk = this.emptyDisk(node.id);
    node.role = 'follower';
    node.deposed = false;
    node.diverged = false;
    node.ackedAsFollower = 0;
    node.epoch = 0;
    this.stats.rebuilds++;
    this.open(node);
    // Runbook: a rebuilt node is pointed at the new leader only.
    for (const other of this.nodes.values()) {
      if (other.deposed) other.followers$.next(other.followers$.value.filter((id) => id !== node.id));
    }
    const leader = this.currentLeader();
    if (leader) leader.followers$.next(this.followerIds(leader));
  }

  setLinkFaults(rates: SimConfig['linkFaults']): void {
    this.linkRates = rates;
  }

  private followerIds(leader: SimNode): string[] {
    return [...this.nodes.values()].filter((n) => n !== leader && n.role === 'follower').map((n) => n.id);
  }

  private open(node: SimNode): void {
    node.state = 'opening';
    const incarnation = ++node.incarnation;
    this.stats.opens++;
    TidalDb.open({ store: node.disk, role: node.role, halfLifeMs: HALF_LIFE_MS, wal: this.config.wal, clock: this.clock }).then((db) => {
      if (node.incarnation !== incarnation) return;
      node.db = db;
      node.state = 'up';
      this.trace.add(`opened ${node.summary()} tornTail=${db.recovery.tornTail ? db.recovery.tornTail.discardedBytes : 0}`);
      this.checker.checkOpened(node, db);
      node.epoch = db.epoch;
      if (node.role === 'leader') this.logs.get(db.epoch)?.truncate(db.lastSeq);
      startNodePipeline(node, db, this.pipelines);
    }, (err: { code?: string; message?: string }) => {
      if (node.incarnation !== incarnation) return;
      this.trace.add(`open of ${node.id} failed: ${err.code} ${err.message}`);
      node.state = 'down';
      node.downSteps = 1;
      if (!isSimulatedFault(err)) this.checker.violate('open', node.id, `open failed: ${err.code ?? ''} ${err.message}`);
    });
  }

  /** Stops a node's pipelines and makes it unreachable; a new incarnation starts from here. */
  private stop(node: SimNode): void {
    stopNodePipeline(node);
    node.db = null;
    node.incarnation++;
    this.checker.forget(node.id);
    this.network.setUp(node.id, false);
  }

  private emptyDisk(id: string): SimDisk {
    return new SimDisk(new SimVolume(), this.diskEnv(this.nodes.get(id) ?? null, id));
  }

  private diskEnv(node: SimNode | null, id = node?.id ?? '?'): SimDiskEnv {
    return {
      scheduler: this.scheduler, random: this.random.disk, shardId: 0, syncMs: this.config.syncMs,
      log: this.trace.verbose ? (line) => this.trace.note(`disk ${id} ${line}`) : null,
      onCrashPoint: (what) => {
        this.trace.add(`crash point ${id}: ${what}`);
        const target = this.nodes.get(id)!;
        const incarnation = target.incarnation;
        this.scheduler.schedule(() => {
          if (target.incarnation === incarnation) this.crash(target, 'power', `at ${what}`);
        }, 0);
      },
    };
  }
}

function isSimulatedFault(err: { code?: string; message?: string }): boolean {
  return err.code === 'Io' && /simulated/.test(err.message ?? '');
}
