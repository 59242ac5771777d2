/**
 * SimNode: one simulated process and its disk. The disk outlives the
 * process; each open is a new incarnation with a new TidalDb and a new
 * pipeline (WalShipper on a leader, SegmentReceiver on a follower).
 */
import { BehaviorSubject } from 'rxjs';
import type { TidalDb } from '../../src/index.js';
import type { FaultCounts, FaultInjectingTransport, SegmentReceiver, WalShipper } from '../../streams/index.js';
import type { SimDisk } from './simDisk.js';

export type Role = 'leader' | 'follower';
/** 'opening' covers a graceful close and the open after it, and a promotion in progress. */
export type NodeState = 'down' | 'opening' | 'up' | 'promoting';

export class SimNode {
  role: Role;
  state: NodeState = 'down';
  db: TidalDb | null = null;
  shipper: WalShipper | null = null;
  receiver: SegmentReceiver | null = null;
  /** The faulty link a leader incarnation ships through. */
  link: FaultInjectingTransport | null = null;
  /** Bumped at every open and crash: a callback of an older incarnation is ignored. */
  incarnation = 0;
  /** The epoch of the data this node held when last up. */
  epoch = 0;
  /** Highest seqno this node acknowledged as a follower since its disk was last wiped (G4). */
  ackedAsFollower = 0;
  /** It refused a newer epoch's segment as Diverged: it needs a rebuild. */
  diverged = false;
  /** A deposed leader: it still runs in its old epoch until it is retired. */
  deposed = false;
  /** The epoch a promotion of this node was starting when it crashed or failed: the operator wipes it. */
  abandonedEpoch: number | null = null;
  /** Steps left before the operator restarts it, while down. */
  downSteps = 0;
  /** Followers this node ships to while it leads. */
  readonly followers$ = new BehaviorSubject<readonly string[]>([]);
  /** Segment faults injected on this node's outgoing link, over all its leader incarnations. */
  readonly linkFaults: FaultCounts = { pass: 0, drop: 0, duplicate: 0, reorder: 0, corrupt: 0 };

  constructor(readonly id: string, role: Role, public disk: SimDisk) {
    this.role = role;
  }

  get isUp(): boolean {
    return this.state === 'up' && this.db !== null;
  }

  /** `a:L2/37` (leader, epoch 2, lastSeq 37), `b:f-` (a follower that is down). */
  summary(): string {
    const role = this.role === 'leader' ? (this.deposed ? 'D' : 'L') : 'f';
    if (!this.isUp) return `${this.id}:${role}${this.state === 'down' ? '-' : '~'}`;
    return `${this.id}:${role}${this.db!.epoch}/${this.db!.lastSeq}`;
  }
}
