/**
 * Pipeline state is visible (issue 8): the leader and follower handles
 * expose state$ ('starting' | 'running' | 'degraded' | 'failed' |
 * 'stopped') and error$ (fatal errors only, typed); stop() resolves once
 * settled; awaitInSync; closing the database under a running handle fails
 * it with Closed; and every follower in the set is in lag$ from the start,
 * with a state, never at lag 0 while unknown. Timing in virtual time.
 */
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { TidalError } from '../../src/index.js';
import {
  FaultInjectingTransport, InProcessTransport, type LagReport, type PipelineError, type PipelineState, startFollower, startLeader,
} from '../../streams/index.js';
import { memoryFollower, memoryLeader, virtualClock } from './fixtures.js';

describe('state$ of the leader and follower handles', () => {
  it('starting until the first tick (leader) or heartbeat (follower), running after, stopped once stop() settles', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const seen: string[] = [];
    const record = (who: string) => ({
      next: (s: PipelineState) => seen.push(`${who}:${s}@${vc.clock()}`),
      complete: () => seen.push(`${who}:|@${vc.clock()}`),
    });
    let leaderErrors = 0;
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport();
      const l = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 10, scheduler: m.scheduler });
      const f = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 5, scheduler: m.scheduler });
      l.state$.subscribe(record('leader'));
      f.state$.subscribe(record('follower'));
      l.error$.subscribe(() => leaderErrors++);
      m.scheduler.schedule(() => void l.stop(), 35);
      m.scheduler.schedule(() => void f.stop(), 42);
    })();
    // The follower's first heartbeat is at 0 (timer(0, 5)); the leader's first tick at 10.
    expect(seen.slice(0, 4)).toEqual(['leader:starting@0', 'follower:starting@0', 'follower:running@0', 'leader:running@10']);
    // The follower had nothing in flight: stopped at once. The leader's last seal (a promise, settled in a
    // microtask, which the virtual clock does not run between frames) is waited for: stopped once it settles.
    expect(seen).toContain('follower:stopped@42');
    await new Promise((resolve) => setImmediate(resolve));
    const leaderStopped = seen.find((e) => e.startsWith('leader:stopped@'));
    expect(leaderStopped).toBeDefined();
    expect(Number(leaderStopped!.split('@')[1])).toBeGreaterThanOrEqual(35);
    expect(seen.at(-1)).toMatch(/^leader:\|@/);
    expect(leaderErrors).toBe(0);
  });

  it('a follower is degraded after a corrupt segment and running again once one applies; rejected$ carries only the segment', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    const states: Array<[number, PipelineState]> = [];
    const rejected: Array<number | null> = [];
    marbles((m) => {
      vc.use(m.scheduler);
      // The first segment shipped is bit-flipped in transit; the re-send after the resend request is intact.
      const transport = new FaultInjectingTransport(new InProcessTransport(), { plan: ({ sent }) => (sent === 0 ? { corruptAt: 100 } : 'pass') });
      const l = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 10, scheduler: m.scheduler });
      const f = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 5, scheduler: m.scheduler });
      f.state$.subscribe((s) => states.push([m.scheduler.now(), s]));
      f.rejected$.subscribe((r) => rejected.push(r.segmentId));
      m.scheduler.schedule(() => void leader.signal({ itemId: 'a', type: 'view', at: m.scheduler.now() }), 1);
      m.scheduler.schedule(() => {
        void l.stop();
        void f.stop();
      }, 200);
    })();
    expect(states.map(([, s]) => s)).toEqual(['starting', 'running', 'degraded', 'running', 'stopped']);
    expect(rejected).toEqual([1]);
    expect(follower.lastSeq).toBe(1);
  });

  it('closing the leader database under a running handle: error$ carries Closed, state$ is failed, every stream completes', async () => {
    const vc = virtualClock();
    const leader = await memoryLeader(vc.clock);
    const errors: PipelineError[] = [];
    let shippedCompleted = false;
    marbles((m) => {
      vc.use(m.scheduler);
      const l = startLeader({ db: leader, transport: new InProcessTransport(), followers: ['f1'], shipIntervalMs: 10, scheduler: m.scheduler });
      l.error$.subscribe((e) => errors.push(e));
      l.shipped$.subscribe({ complete: () => (shippedCompleted = true) });
      m.scheduler.schedule(() => void leader.close(), 25);
      m.expect(l.state$).toBeObservable('s---------r--------------(f|)', { s: 'starting', r: 'running', f: 'failed' } satisfies Record<string, PipelineState>);
    })();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TidalError);
    expect((errors[0] as TidalError).code).toBe('Closed');
    expect(shippedCompleted).toBe(true);
  });

  it('closing the follower database under a running handle fails it with Closed', async () => {
    const vc = virtualClock();
    const follower = await memoryFollower(vc.clock);
    const errors: PipelineError[] = [];
    marbles((m) => {
      vc.use(m.scheduler);
      const f = startFollower({ db: follower, transport: new InProcessTransport(), peer: 'f1', feedbackIntervalMs: 5, scheduler: m.scheduler });
      f.error$.subscribe((e) => errors.push(e));
      m.scheduler.schedule(() => void follower.close(), 12);
      m.expect(f.state$).toBeObservable('r-----------(f|)', { r: 'running', f: 'failed' } satisfies Record<string, PipelineState>);
    })();
    expect((errors[0] as TidalError).code).toBe('Closed');
  });

  it('stop() returns a promise that resolves once a checkpoint in flight has settled (virtual time)', async () => {
    const vc = virtualClock();
    const leader = await memoryLeader(vc.clock);
    await leader.signal({ itemId: 'a', type: 'view', at: 0 });
    const states: PipelineState[] = [];
    let stopped!: Promise<void>;
    marbles((m) => {
      vc.use(m.scheduler);
      const l = startLeader({ db: leader, transport: new InProcessTransport(), followers: [], shipIntervalMs: 5, checkpointIntervalMs: 10, scheduler: m.scheduler });
      l.state$.subscribe((s) => states.push(s));
      // The checkpoint due at 10 starts first; stop() at 10 finds it in flight (its writes settle as promises).
      m.scheduler.schedule(() => (stopped = l.stop()), 10);
    })();
    expect(states.at(-1)).toBe('running');
    expect(leader.metrics.snapshot().gauges['checkpoints.written']).toBe(0);
    await stopped;
    expect(states.at(-1)).toBe('stopped');
    expect(leader.metrics.snapshot().gauges['checkpoints.written']).toBe(1);
    await leader.close();
  });
});

describe('awaitInSync({ timeoutMs })', () => {
  it('resolves once every follower acked the lastSeq of the call, sealing at once rather than at the next tick', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    let resolvedAt = -1;
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport();
      const l = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 1_000, scheduler: m.scheduler });
      const f = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 1_000, scheduler: m.scheduler });
      m.scheduler.schedule(() => {
        void leader.signal({ itemId: 'a', type: 'view', at: m.scheduler.now() });
        void l.awaitInSync({ timeoutMs: 500, scheduler: m.scheduler }).then(() => (resolvedAt = m.scheduler.now()));
      }, 10);
      m.scheduler.schedule(() => {
        void l.stop();
        void f.stop();
      }, 3_000);
    })();
    await Promise.resolve();
    expect(follower.lastSeq).toBe(1);
    expect(resolvedAt).toBeGreaterThanOrEqual(0);
  });

  it('rejects with Timeout naming the followers behind when one never acks', async () => {
    const vc = virtualClock();
    const leader = await memoryLeader(vc.clock);
    let error: unknown;
    marbles((m) => {
      vc.use(m.scheduler);
      const l = startLeader({ db: leader, transport: new InProcessTransport(), followers: ['f1', 'f2'], shipIntervalMs: 10, scheduler: m.scheduler });
      m.scheduler.schedule(() => {
        void leader.signal({ itemId: 'a', type: 'view', at: m.scheduler.now() });
        l.awaitInSync({ timeoutMs: 100, scheduler: m.scheduler }).catch((e: unknown) => (error = e));
      }, 5);
      m.scheduler.schedule(() => void l.stop(), 500);
    })();
    await new Promise((r) => setImmediate(r));
    expect(error).toBeInstanceOf(TidalError);
    expect((error as TidalError).code).toBe('Timeout');
    expect((error as TidalError).message).toMatch(/f1, f2/);
  });
});

describe('every follower in the set is in lag$ from the start, with a state', () => {
  it('never-connected with lag > 0, catching-up, streaming, then disconnected after disconnectedAfterMs of silence', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    for (let i = 0; i < 5; i++) await leader.signal({ itemId: `i${i}`, type: 'view', at: 0 });
    const seen: Array<[number, string, number]> = [];
    marbles((m) => {
      vc.use(m.scheduler);
      const transport = new InProcessTransport();
      const l = startLeader({ db: leader, transport, followers: ['f1', 'ghost'], shipIntervalMs: 10, disconnectedAfterMs: 50, scheduler: m.scheduler });
      l.lag$.subscribe((r: LagReport) => {
        for (const peer of ['f1', 'ghost']) if (r[peer]) seen.push([m.scheduler.now(), `${peer}:${r[peer]!.state}`, r[peer]!.events]);
      });
      let f: ReturnType<typeof startFollower> | null = null;
      m.scheduler.schedule(() => (f = startFollower({ db: follower, transport, peer: 'f1', feedbackIntervalMs: 5, scheduler: m.scheduler })), 20);
      m.scheduler.schedule(() => void f?.stop(), 60);
      m.scheduler.schedule(() => void l.stop(), 200);
    })();
    const states = (peer: string) => [...new Set(seen.filter(([, s]) => s.startsWith(peer)).map(([, s]) => s.slice(peer.length + 1)))];
    expect(seen[0]).toEqual([0, 'f1:never-connected', 5]);
    expect(states('ghost')).toEqual(['never-connected']);
    expect(seen.filter(([, s]) => s === 'ghost:never-connected').every(([, , events]) => events === 5)).toBe(true);
    expect(states('f1')).toEqual(['never-connected', 'catching-up', 'streaming', 'disconnected']);
    const disconnectedAt = seen.find(([, s]) => s === 'f1:disconnected')![0];
    expect(disconnectedAt).toBeGreaterThan(60 + 50 - 10);
    expect(leader.metrics.snapshot().followers['ghost']).toMatchObject({ state: 'never-connected', events: 5 });
  });
});
