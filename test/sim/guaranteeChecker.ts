/**
 * GuaranteeChecker: the simulation's oracle. It watches every delivery,
 * apply, acknowledgement and open, and after every step checks:
 *
 * - G1: every node's state equals the reference log of its epoch at its
 *   mark (readDecayScore, retrieve and getItem of every item and type);
 * - G2: a corrupt shipment is never applied and the mark does not move on it;
 * - G3: a redelivered shipment (at or below the mark) changes nothing;
 * - G4: nothing acknowledged is lost: after an open, a leader holds at least
 *   every write that resolved, a follower at least every seqno it acked;
 * - fencing: a shipment from an older epoch than the follower has seen
 *   never changes it.
 *
 * A shipment is corrupt when its bytes are not the ones the leader handed to
 * the faulty link (tracked by identity, not by checksum: the oracle does not
 * trust the code it checks).
 */
import { type ApplyResult, type TidalDb } from '../../src/index.js';
import { decodeCheckpoint } from '../../src/db/checkpoint.js';
import { decodeSegmentHeader } from '../../src/wal/segmentHeader.js';
import { type FollowerFeedback, type Shipment } from '../../streams/index.js';
import { isCheckpoint, shipmentLastSeq } from '../../streams/shipment.js';
import type { ReferenceLog } from './referenceLog.js';
import type { SimNode } from './simNode.js';
import { ITEM_IDS, SIGNAL_TYPES } from './workload.js';

export type Guarantee = 'G1' | 'G2' | 'G3' | 'G4' | 'fencing' | 'liveness' | 'open' | 'engine';

export interface Violation {
  readonly guarantee: Guarantee;
  readonly node: string;
  readonly detail: string;
}

/** What the delivery a follower is processing must (not) do. */
type Expectation =
  | { readonly kind: 'unchanged'; readonly guarantee: 'G2' | 'fencing'; readonly mark: number; readonly what: string }
  | { readonly kind: 'redelivery'; readonly mark: number; readonly snapshot: string; readonly what: string }
  | { readonly kind: 'new'; readonly what: string };

export interface CheckCounts {
  stateChecks: number;
  corruptDeliveries: number;
  redeliveries: number;
  fencedDeliveries: number;
}

export class GuaranteeChecker {
  readonly violations: Violation[] = [];
  readonly counts: CheckCounts = { stateChecks: 0, corruptDeliveries: 0, redeliveries: 0, fencedDeliveries: 0 };
  /** Bytes a leader handed to its link: anything else that arrives was damaged on the way. */
  readonly genuine = new WeakSet<Uint8Array>();
  private readonly pending = new Map<string, Expectation>();
  /** Whether the last shipment handed to each follower was genuine (the bytes its leader shipped). */
  private readonly lastGenuine = new Map<string, boolean>();
  private readonly lastChecked = new Map<string, { readonly db: TidalDb; readonly lastSeq: number; readonly epoch: number }>();

  constructor(
    private readonly nodes: ReadonlyMap<string, SimNode>,
    private readonly logs: ReadonlyMap<number, ReferenceLog>,
    private readonly queryAtMs: number,
  ) {}

  violate(guarantee: Guarantee, node: string, detail: string): void {
    this.violations.push({ guarantee, node, detail });
  }

  onDeliver(nodeId: string, s: Shipment): void {
    const node = this.nodes.get(nodeId);
    const db = node?.isUp && node.role === 'follower' && !node.db!.failure ? node.db! : null;
    this.settle(nodeId);
    if (!db) return;
    const what = isCheckpoint(s) ? `checkpoint@${s.seq}` : `segment ${s.segmentId} (${s.firstSeq}..${s.lastSeq})`;
    this.lastGenuine.set(nodeId, this.genuine.has(s.bytes));
    if (!this.genuine.has(s.bytes)) {
      this.counts.corruptDeliveries++;
      this.pending.set(nodeId, { kind: 'unchanged', guarantee: 'G2', mark: db.lastSeq, what: `corrupt ${what}` });
    } else if (shipmentLastSeq(s) <= db.lastSeq) {
      this.counts.redeliveries++;
      this.pending.set(nodeId, { kind: 'redelivery', mark: db.lastSeq, snapshot: this.snapshotOf(db), what });
    } else if (epochOf(s) < db.epoch) {
      this.counts.fencedDeliveries++;
      this.pending.set(nodeId, { kind: 'unchanged', guarantee: 'fencing', mark: db.lastSeq, what: `${what} of epoch ${epochOf(s)} after epoch ${db.epoch}` });
    } else {
      this.pending.set(nodeId, { kind: 'new', what });
    }
  }

  /** Whether the last shipment handed to `nodeId` was genuine. */
  lastDeliveryWasGenuine(nodeId: string): boolean {
    return this.lastGenuine.get(nodeId) === true;
  }

  /** A follower's receiver reports a segment applied: it must be the genuine, current one. */
  onApplied(nodeId: string, result: ApplyResult): void {
    const expectation = this.pending.get(nodeId);
    if (expectation?.kind === 'unchanged') {
      this.violate(expectation.guarantee, nodeId, `applied segment ${result.segmentId} (${result.firstSeq}..${result.lastSeq}) while processing ${expectation.what}`);
    }
  }

  onFeedback(nodeId: string, f: FollowerFeedback): void {
    const node = this.nodes.get(nodeId);
    if (node?.role === 'follower' && node.isUp) node.ackedAsFollower = Math.max(node.ackedAsFollower, f.appliedSeq);
  }

  /** The node crashed, was promoted or rebuilt: what it was processing no longer binds it. */
  forget(nodeId: string): void {
    this.pending.delete(nodeId);
  }

  /** Right after an open: G4 (nothing acknowledged lost, a promotion included) and G1 at the recovered mark. */
  checkOpened(node: SimNode, db: TidalDb): void {
    if (node.role === 'leader' && db.epoch < node.epoch) {
      return this.violate('G4', node.id, `reopened in epoch ${db.epoch}, but it had been promoted to lead epoch ${node.epoch}: the promotion was lost`);
    }
    const log = this.logs.get(db.epoch);
    if (!log) return this.violate('G1', node.id, `reopened in epoch ${db.epoch}, which no leader wrote`);
    const acked = node.role === 'leader' ? log.ackedSeq : node.ackedAsFollower;
    if (db.lastSeq < acked) {
      this.violate('G4', node.id, `reopened at seqno ${db.lastSeq}, but seqno ${acked} was acknowledged (${node.role}, epoch ${db.epoch})`);
    }
    this.checkState(node.id, db, 'after reopen');
  }

  /**
   * After every step: the pending delivery expectations, and G1 for every
   * follower that is up whose mark or epoch moved since it was last checked;
   * every node when `full` (a state that changes without its mark moving is
   * caught then, and by G3 on every redelivery; a leader's state is its own
   * writes, checked then and at every reopen).
   */
  checkStep(full: boolean): void {
    for (const node of this.nodes.values()) {
      this.settle(node.id);
      // A node whose log failed refuses reads (fail closed) until the operator restarts it.
      if (!node.isUp || node.db!.failure || (!full && node.role === 'leader')) continue;
      const db = node.db!;
      const seen = this.lastChecked.get(node.id);
      if (!full && seen && seen.db === db && seen.lastSeq === db.lastSeq && seen.epoch === db.epoch) continue;
      this.lastChecked.set(node.id, { db, lastSeq: db.lastSeq, epoch: db.epoch });
      this.checkState(node.id, db, 'now');
    }
  }

  /** G1: the state equals the reference log of its epoch at its mark. */
  checkState(nodeId: string, db: TidalDb, when: string): void {
    this.counts.stateChecks++;
    const log = this.logs.get(db.epoch);
    if (!log) return this.violate('G1', nodeId, `${when}: in epoch ${db.epoch}, which no leader wrote`);
    if (db.lastSeq > log.length) {
      return this.violate('G1', nodeId, `${when}: at seqno ${db.lastSeq}, but epoch ${db.epoch}'s leader wrote only ${log.length} (it holds writes its leader lost)`);
    }
    const problem = log.expectedAt(db.lastSeq).differences(db);
    if (problem) this.violate('G1', nodeId, `${when} at seqno ${db.lastSeq} (epoch ${db.epoch}): ${problem}`);
  }

  /** Checks what the last delivery to `nodeId` must not have done, once it has been processed. */
  private settle(nodeId: string): void {
    const expectation = this.pending.get(nodeId);
    this.pending.delete(nodeId);
    const node = this.nodes.get(nodeId);
    if (!expectation || expectation.kind === 'new' || !node?.isUp || node.db!.failure) return;
    const db = node.db!;
    if (db.lastSeq !== expectation.mark) {
      const guarantee = expectation.kind === 'redelivery' ? 'G3' : expectation.guarantee;
      this.violate(guarantee, nodeId, `the mark moved from ${expectation.mark} to ${db.lastSeq} on ${expectation.what}`);
    } else if (expectation.kind === 'redelivery' && this.snapshotOf(db) !== expectation.snapshot) {
      this.violate('G3', nodeId, `the state changed on redelivered ${expectation.what}`);
    }
  }

  /** Everything the public reads return, as one string (for exact before/after comparison). */
  private snapshotOf(db: TidalDb): string {
    let s = `${db.lastSeq}/${db.epoch}`;
    for (const type of SIGNAL_TYPES) s += JSON.stringify(db.retrieve({ signal: type, limit: 1000, at: this.queryAtMs }));
    for (const id of ITEM_IDS) s += JSON.stringify(db.getItem(id) ?? null);
    return s;
  }
}

/** The leadership epoch a genuine shipment was written in. */
function epochOf(s: Shipment): number {
  return isCheckpoint(s) ? decodeCheckpoint(s.bytes, s.shardId, 'shipped checkpoint').epoch : decodeSegmentHeader(s.bytes, `segment ${s.segmentId}`).header.epoch;
}
