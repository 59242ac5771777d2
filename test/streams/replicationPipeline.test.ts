/**
 * The whole pipeline (startLeader + startFollower) in virtual time: the
 * timing rules of replication, checked to the virtual millisecond.
 */
import { catchError, of } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import type { Context } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import type { TidalDb } from '../../src/index.js';
import {
  FaultInjectingTransport, InProcessTransport, type LagReport, type SegmentRejection, startFollower, startLeader, type Transport,
} from '../../streams/index.js';
import { memoryFollower, memoryLeader, stateOf, virtualClock } from './fixtures.js';

interface Run {
  lag: Array<{ at: number; events: number }>;
  rejected: SegmentRejection[];
}

/** Starts both sides at 0, writes one signal per `w` of `writes`, stops both at `stopAtMs`. */
function replicate(
  m: Context, leader: TidalDb, follower: TidalDb, transport: Transport, writes: string,
  opts: { stopAtMs: number; shipIntervalMs?: number; retransmitAfterMs?: number },
): Run {
  const run: Run = { lag: [], rejected: [] };
  const l = startLeader({ db: leader, transport, followers: ['f1'], scheduler: m.scheduler, shipIntervalMs: opts.shipIntervalMs, retransmitAfterMs: opts.retransmitAfterMs });
  const f = startFollower({ db: follower, transport, peer: 'f1', scheduler: m.scheduler });
  l.lag$.subscribe((r: LagReport) => r['f1'] && run.lag.push({ at: m.scheduler.now(), events: r['f1'].events }));
  f.rejected$.subscribe((r) => run.rejected.push(r));
  let n = 0;
  m.cold(writes).subscribe(() => void leader.signal({ itemId: `item-${n++ % 13}`, type: 'view', weight: 1 + (n % 4), at: m.scheduler.now() }));
  m.scheduler.schedule(() => {
    l.stop();
    f.stop();
  }, opts.stopAtMs);
  return run;
}

/** Virtual time of the first report at or after `from` with lag 0 events. */
function convergedAt(run: Run, from: number): number | undefined {
  return run.lag.find((p) => p.at >= from && p.events === 0)?.at;
}

describe('replication pipeline in virtual time', () => {
  it('lag converges to 0 within 5 s after the leader quiesces (default 2 s ship interval)', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    let run!: Run;
    marbles((m) => {
      vc.use(m.scheduler);
      run = replicate(m, leader, follower, new InProcessTransport(), 'w 99ms w 99ms w 1999ms w 500ms w', { stopAtMs: 20_000 });
    })();
    const quiescedAt = 2_700; // the last write
    const at = convergedAt(run, quiescedAt);
    expect(at).toBeDefined();
    expect(at! - quiescedAt).toBeLessThanOrEqual(5_000);
    expect(at! - quiescedAt).toBeGreaterThan(0); // it waited for the next seal tick: no false zero
    expect(Math.max(...run.lag.filter((p) => p.at < quiescedAt).map((p) => p.events))).toBeGreaterThan(0);
    expect(stateOf(follower, 10_000)).toEqual(stateOf(leader, 10_000));
    expect(leader.metrics.snapshot().replicationLag['f1']).toBe(0);
  });

  it('seals on the ship interval: nothing ships between ticks, everything by the next tick', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const appliedAt: number[] = [];
    marbles((m) => {
      vc.use(m.scheduler);
      follower.applied$.subscribe(() => appliedAt.push(m.scheduler.now()));
      replicate(m, leader, follower, new InProcessTransport(), 'w 149ms w 149ms w', { stopAtMs: 1_000, shipIntervalMs: 250 });
    })();
    expect(appliedAt).toEqual([250, 500]);
  });

  it('repairs a dropped segment: the next one is a gap, the follower asks, the leader re-sends from its mark', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const faulty = new FaultInjectingTransport(new InProcessTransport(), { plan: ({ sent }) => (sent === 1 ? 'drop' : 'pass') });
    let run!: Run;
    marbles((m) => {
      vc.use(m.scheduler);
      run = replicate(m, leader, follower, faulty, 'w 999ms w 999ms w', { stopAtMs: 10_000, shipIntervalMs: 500 });
    })();
    expect(faulty.counts.drop).toBe(1);
    expect(run.rejected.map((r) => (r.error as { code?: string }).code)).toContain('Gap');
    expect(stateOf(follower, 5_000)).toEqual(stateOf(leader, 5_000));
  });

  it('repairs a dropped last segment after retransmitAfterMs, with no later segment to reveal the gap', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const faulty = new FaultInjectingTransport(new InProcessTransport(), { plan: ({ sent }) => (sent === 0 ? 'drop' : 'pass') });
    let run!: Run;
    marbles((m) => {
      vc.use(m.scheduler);
      run = replicate(m, leader, follower, faulty, 'w', { stopAtMs: 10_000, shipIntervalMs: 500, retransmitAfterMs: 3_000 });
    })();
    const at = convergedAt(run, 500)!;
    expect(at).toBeGreaterThanOrEqual(3_000); // not before the retransmit timer
    expect(at).toBeLessThanOrEqual(3_000 + 1_000 + 500); // + one heartbeat + one tick
    expect(follower.lastSeq).toBe(1);
  });

  it('reports a corrupted segment on rejected$ as Corruption and applies the re-sent one', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const faulty = new FaultInjectingTransport(new InProcessTransport(), { plan: ({ sent }) => (sent === 0 ? { corruptAt: 90 * 8 + 3 } : 'pass') });
    let run!: Run;
    marbles((m) => {
      vc.use(m.scheduler);
      run = replicate(m, leader, follower, faulty, 'w-w-w', { stopAtMs: 5_000, shipIntervalMs: 100 });
    })();
    expect(run.rejected[0]?.error).toMatchObject({ name: 'WalError', code: 'Corruption' });
    expect(stateOf(follower, 1_000)).toEqual(stateOf(leader, 1_000));
  });

  it('stop() cancels every timer: virtual time runs out instead of ticking forever', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    let lastAction = 0;
    marbles((m) => {
      vc.use(m.scheduler);
      replicate(m, leader, follower, new InProcessTransport(), 'w', { stopAtMs: 3_000, shipIntervalMs: 100 });
      m.flush();
      lastAction = m.scheduler.now();
    })();
    expect(lastAction).toBe(3_000); // a leaked interval would never let flush() return
  });

  it('metrics show lag the moment the leader writes, not at the next tick', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const seen: Array<[number, number, number]> = [];
    marbles((m) => {
      vc.use(m.scheduler);
      replicate(m, leader, follower, new InProcessTransport(), 'w 1099ms w', { stopAtMs: 3_000, shipIntervalMs: 500 });
      for (const at of [900, 1_100, 1_400, 1_600]) {
        m.scheduler.schedule(() => {
          const lag = leader.metrics.snapshot().followers['f1']!;
          seen.push([at, lag.events, lag.ms]);
        }, at);
      }
    })();
    // 900: caught up. 1100: written this instant, shows at once. 1400: 300 ms old; the
    // figure is an upper bound from the last input without it (the tick at 1000). 1600: shipped at 1500.
    expect(seen[0]).toEqual([900, 0, 0]);
    expect(seen[1]![1]).toBe(1);
    expect(seen[2]![1]).toBe(1);
    expect(seen[2]![2]).toBeGreaterThanOrEqual(300);
    expect(seen[2]![2]).toBeLessThanOrEqual(300 + 500);
    expect(seen[3]).toEqual([1_600, 0, 0]);
  });

  it('waitFor rejects with Timeout after timeoutMs, never hangs', async () => {
    const follower = await memoryFollower(() => 0);
    marbles((m) => {
      const result = follower.waitFor$(5, { timeoutMs: 100, scheduler: m.scheduler }).pipe(
        catchError((err: { code: string }) => of(err.code)),
      );
      m.expect(result).toBeObservable('100ms (t|)', { t: 'Timeout' });
    })();
  });

  it('serves reads under maxStaleMs while fresh, and fails them with Stale once the leader goes quiet past it', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const verdicts: Array<[number, string]> = [];
    marbles((m) => {
      vc.use(m.scheduler);
      replicate(m, leader, follower, new InProcessTransport(), 'w', { stopAtMs: 1_000, shipIntervalMs: 100 });
      for (const at of [50, 950, 1_050, 1_250]) {
        m.scheduler.schedule(() => {
          try {
            follower.retrieve({ signal: 'view', maxStaleMs: 200 });
            verdicts.push([at, 'ok']);
          } catch (err) {
            verdicts.push([at, (err as { code: string }).code]);
          }
        }, at);
      }
    })();
    // 50: never caught up yet; 950 and 1050: the last announcement (900) is recent; 1250: 350 ms of silence
    expect(verdicts).toEqual([[50, 'Stale'], [950, 'ok'], [1_050, 'ok'], [1_250, 'Stale']]);
  });
});
