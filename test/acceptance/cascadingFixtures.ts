/** A chain leader → middle → edge for the cascading-follower acceptance tests (docs/cascading.md). */
import type { TidalDb } from '../../src/index.js';
import {
  type Fault, type FaultCounts, type FollowerSet, FaultInjectingTransport, type FollowerHandle, type FollowerTransport, type LeaderTransport, InProcessTransport, type LeaderHandle, type SegmentRejection,
  startFollower, startLeader, startRelay, type Transport,
} from '../../streams/index.js';
import { seededRandom } from '../../streams/seededRandom.js';

/** A fault plan for one hop: the first `faulty` segments draw a fault from `seed`, then every one passes. */
export function faultPlan(seed: number, faulty: number): (ctx: { sent: number }) => Fault {
  const random = seededRandom(seed);
  const faults: Fault[] = [{ corruptAt: 8 * 64 + 3 }, 'duplicate', 'reorder', 'drop', 'pass'];
  return ({ sent }) => (sent < faulty ? faults[Math.floor(random() * faults.length)]! : 'pass');
}

/** One hop: a transport of its own, with faults on its leader's end. */
export function faultyHop(seed: number, faulty: number): FaultInjectingTransport<Transport> {
  return new FaultInjectingTransport(new InProcessTransport({ capacity: 8 }), { plan: faultPlan(seed, faulty) });
}

/** The middle node's two pipelines over its database: receiving from upstream, serving downstream. */
export interface Middle {
  receiving: FollowerHandle;
  serving: LeaderHandle;
  rejected: SegmentRejection[];
  stop(): Promise<void>;
}

export const SHIP_MS = 20;

export function startMiddle(db: TidalDb, upstream: FollowerTransport, downstream: LeaderTransport, edgePeers: FollowerSet = ['edge']): Middle {
  const rejected: SegmentRejection[] = [];
  const receiving = startFollower({ db, transport: upstream, peer: 'middle', feedbackIntervalMs: 50 });
  receiving.rejected$.subscribe((r) => rejected.push(r));
  const serving = startRelay({ db, transport: downstream, followers: edgePeers, shipIntervalMs: SHIP_MS, retransmitAfterMs: 300 });
  return {
    receiving, serving, rejected,
    async stop() {
      await serving.stop();
      await receiving.stop();
    },
  };
}

export function startHead(db: TidalDb, transport: LeaderTransport): LeaderHandle {
  return startLeader({ db, transport, followers: ['middle'], shipIntervalMs: SHIP_MS, retransmitAfterMs: 300 });
}

export function startEdge(db: TidalDb, transport: FollowerTransport, peer = 'edge'): { handle: FollowerHandle; rejected: SegmentRejection[] } {
  const rejected: SegmentRejection[] = [];
  const handle = startFollower({ db, transport, peer, feedbackIntervalMs: 50 });
  handle.rejected$.subscribe((r) => rejected.push(r));
  return { handle, rejected };
}

/** Faults done on a hop, summed over every kind but 'pass'. */
export function faultsDone(counts: FaultCounts): number {
  return counts.corrupt + counts.duplicate + counts.reorder + counts.drop;
}

/** The stored bytes of the segment holding seqno `after + 1` on `db`. */
export function segmentBytes(db: TidalDb, after: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    let found: Uint8Array | null = null;
    db.wal.nextSegment$(after).subscribe({ next: (s) => (found = s.bytes), error: reject, complete: () => resolve(found) });
  });
}
