/**
 * A chain leader → relay → edge in virtual time (docs/cascading.md): the
 * relay ships what it stores as it stores it, reports lag per hop, and
 * announces the origin's position, so the edge's lag and staleness are end
 * to end; stop() leaves nothing running.
 */
import { marbles } from 'rxjs-marbles';
import type { Context } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import type { TidalDb } from '../../src/index.js';
import {
  FaultInjectingTransport, type FollowerLagView, InProcessTransport, type LagReport, startFollower, startLeader, startRelay,
} from '../../streams/index.js';
import { memoryFollower, memoryLeader, stateOf, virtualClock } from './fixtures.js';

interface Chain {
  relayLag: Array<{ at: number; events: number }>;
  edgeLag: Array<{ at: number } & FollowerLagView>;
}

/** Starts leader → relay → edge at 0; the upstream hop drops every segment while `cut()`; one write per `w`; stops at `stopAtMs`. */
function chain(m: Context, dbs: { leader: TidalDb; relay: TidalDb; edge: TidalDb }, writes: string, opts: { stopAtMs: number; cut?: () => boolean; edgeFeedbackMs?: number }): Chain {
  const run: Chain = { relayLag: [], edgeLag: [] };
  const upstream = new FaultInjectingTransport(new InProcessTransport(), { plan: () => (opts.cut?.() ? 'drop' : 'pass') });
  const downstream = new InProcessTransport();
  const scheduler = m.scheduler;
  const leading = startLeader({ db: dbs.leader, transport: upstream, followers: ['relay'], shipIntervalMs: 100, retransmitAfterMs: 500, scheduler });
  const receiving = startFollower({ db: dbs.relay, transport: upstream, peer: 'relay', feedbackIntervalMs: 100, scheduler });
  const serving = startRelay({ db: dbs.relay, transport: downstream, followers: ['edge'], shipIntervalMs: 100, scheduler });
  const edge = startFollower({ db: dbs.edge, transport: downstream, peer: 'edge', feedbackIntervalMs: opts.edgeFeedbackMs ?? 100, scheduler });
  serving.lag$.subscribe((r: LagReport) => r['edge'] && run.relayLag.push({ at: scheduler.now(), events: r['edge'].events }));
  edge.lag$.subscribe((v) => run.edgeLag.push({ at: scheduler.now(), ...v }));
  let n = 0;
  m.cold(writes).subscribe(() => void dbs.leader.signal({ itemId: `item-${n++ % 11}`, type: 'view', weight: 1 + (n % 3), at: scheduler.now() }));
  scheduler.schedule(() => {
    for (const h of [leading, receiving, serving, edge]) void h.stop();
  }, opts.stopAtMs);
  return run;
}

async function dbs(clock: () => number) {
  return { leader: await memoryLeader(clock), relay: await memoryFollower(clock), edge: await memoryFollower(clock) };
}

describe('A follower can serve its own followers (leader → follower → follower)', () => {
  it('the edge converges on the leader through the relay, and holds the very bytes the leader sealed', async () => {
    const vc = virtualClock();
    const nodes = await dbs(vc.clock);
    marbles((m) => {
      vc.use(m.scheduler);
      chain(m, nodes, 'w 49ms w 99ms w 299ms w 10ms w', { stopAtMs: 3_000 });
    })();
    expect(nodes.leader.lastSeq).toBe(5);
    expect(stateOf(nodes.edge, 10_000)).toEqual(stateOf(nodes.leader, 10_000));
    const bytes = (db: TidalDb) => db.wal.sealedSegments.map((s) => s.segmentId);
    expect(bytes(nodes.edge)).toEqual(bytes(nodes.leader));
    for (const s of nodes.leader.wal.sealedSegments) {
      const [l, e] = await Promise.all([nodes.leader, nodes.edge].map((db) => new Promise<Uint8Array>((resolve) => db.wal.nextSegment$(s.firstSeq - 1).subscribe((p) => resolve(p.bytes)))));
      expect(Buffer.from(e!).equals(Buffer.from(l!))).toBe(true);
    }
  });

  it('the relay ships a stored segment at once, not a ship interval later', async () => {
    const vc = virtualClock();
    const nodes = await dbs(vc.clock);
    const appliedAt = new Map<string, number>();
    marbles((m) => {
      vc.use(m.scheduler);
      for (const [name, db] of Object.entries(nodes)) db.applied$.subscribe((seq) => seq === 1 && !appliedAt.has(name) && appliedAt.set(name, m.scheduler.now()));
      chain(m, nodes, '150ms w', { stopAtMs: 3_000, edgeFeedbackMs: 1_000 }); // no edge heartbeat between 0 and 1000 to wake the relay
    })();
    // Written at 150, sealed at the leader's 200 tick, stored by the relay then: the edge has it in the same instant.
    expect(appliedAt.get('relay')).toBe(200);
    expect(appliedAt.get('edge')).toBe(200);
  });

  it('lag is per hop on the relay\'s lag$, end to end on the edge\'s lag$ and stalenessMs', async () => {
    const vc = virtualClock();
    const nodes = await dbs(vc.clock);
    let cut = false;
    let run!: Chain;
    marbles((m) => {
      vc.use(m.scheduler);
      m.scheduler.schedule(() => (cut = true), 1_000);
      m.scheduler.schedule(() => (cut = false), 2_000);
      run = chain(m, nodes, 'w 99ms w 1099ms w 99ms w 99ms w', { stopAtMs: 4_000, cut: () => cut });
    })();
    // While the upstream hop is cut (1000..2000) the leader wrote 3 more: the relay has none of them.
    const during = run.edgeLag.filter((v) => v.at >= 1_600 && v.at < 2_000);
    expect(during.length).toBeGreaterThan(0);
    for (const v of during) {
      expect(v.appliedSeq).toBe(2);
      expect(v.leaderSeq).toBe(5); // the origin's seqno, not the relay's 2
      expect(v.events).toBe(3);
    }
    expect(run.relayLag.filter((p) => p.at >= 1_600 && p.at < 2_000).every((p) => p.events === 0)).toBe(true); // per hop: the edge has all the relay has
    // Staleness is end to end: the edge is fresh only as of the origin's last announcement before its write at 1200
    // (seqno 2 then), however recently the relay announced; a per-hop staleness would read under 100 ms here.
    const stale = during.at(-1)!;
    expect(stale.stalenessMs).toBeGreaterThanOrEqual(stale.at - 1_200);
    expect(stale.stalenessMs).toBeLessThanOrEqual(stale.at - 1_100);
    expect(stateOf(nodes.edge, 10_000)).toEqual(stateOf(nodes.leader, 10_000));
    expect(run.edgeLag.at(-1)!.events).toBe(0);
  });

  it('stop() cancels every timer of the chain: virtual time runs out instead of ticking forever', async () => {
    const vc = virtualClock();
    const nodes = await dbs(vc.clock);
    let lastAction = 0;
    marbles((m) => {
      vc.use(m.scheduler);
      chain(m, nodes, 'w 100ms w', { stopAtMs: 3_000 });
      m.flush();
      lastAction = m.scheduler.now();
    })();
    expect(lastAction).toBe(3_000); // a leaked interval would never let flush() return
  });
});
