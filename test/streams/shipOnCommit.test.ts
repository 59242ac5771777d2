/**
 * Issue 9, "Lag that falls as the ship interval falls", in virtual time:
 * sealing is ack-clocked (gateSeals), and `shipOn: 'commit'` ships each
 * write as it commits. The follower here takes `applyMs` per segment (a
 * transport that delivers each one that much later), as a real one pays a
 * file and an fsync per segment.
 */
import { delay, type SchedulerLike } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import type { Context } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { TidalError, type TidalDb } from '../../src/index.js';
import { FaultInjectingTransport, InProcessTransport, startFollower, startLeader, type Transport } from '../../streams/index.js';
import { memoryFollower, memoryLeader, stateOf, virtualClock } from './fixtures.js';

/** `inner`, except each segment reaches the follower `applyMs` after it takes it: a follower that is slow per segment. */
function slowFollower(inner: Transport, applyMs: number, scheduler: SchedulerLike): Transport {
  return Object.assign(Object.create(inner) as Transport, {
    receive$: (peer: string) => inner.receive$(peer).pipe(delay(applyMs, scheduler)),
  });
}

interface Run {
  /** Virtual time of each write. */
  writtenAt: number[];
  /** Per write, when the leader first heard an ack covering it. */
  ackedAt: number[];
  segments: number;
}

function replicate(
  m: Context, leader: TidalDb, follower: TidalDb, writes: string,
  opts: { shipIntervalMs: number; shipOn?: 'tick' | 'commit'; applyMs: number; stopAtMs: number; dropSegment?: number },
): Run {
  const run: Run = { writtenAt: [], ackedAt: [], segments: 0 };
  const inner = opts.dropSegment === undefined
    ? new InProcessTransport()
    : new FaultInjectingTransport(new InProcessTransport(), { plan: ({ sent }) => (sent === opts.dropSegment ? 'drop' : 'pass') });
  const transport = slowFollower(inner, opts.applyMs, m.scheduler);
  const l = startLeader({ db: leader, transport, followers: ['f1'], scheduler: m.scheduler, shipIntervalMs: opts.shipIntervalMs, shipOn: opts.shipOn });
  const f = startFollower({ db: follower, transport, peer: 'f1', scheduler: m.scheduler });
  l.shipped$.subscribe((e) => e.kind === 'segment' && run.segments++);
  l.applied$.subscribe((a) => {
    for (let seq = run.ackedAt.length + 1; seq <= a.appliedSeq; seq++) run.ackedAt[seq - 1] = m.scheduler.now();
  });
  let n = 0;
  m.cold(writes).subscribe(() => {
    run.writtenAt.push(m.scheduler.now());
    void leader.signal({ itemId: `item-${n++ % 7}`, type: 'view', at: m.scheduler.now() });
  });
  m.scheduler.schedule(() => {
    void l.stop();
    void f.stop();
  }, opts.stopAtMs);
  return run;
}

/** Each write's lag: from the write to the first ack covering it. */
function lags(run: Run): number[] {
  return run.writtenAt.map((at, i) => (run.ackedAt[i] ?? Infinity) - at);
}

async function runOnce(writes: string, opts: Parameters<typeof replicate>[4]): Promise<{ run: Run; leader: TidalDb; follower: TidalDb }> {
  const vc = virtualClock();
  const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
  let run!: Run;
  marbles((m) => {
    vc.use(m.scheduler);
    run = replicate(m, leader, follower, writes, opts);
  })();
  return { run, leader, follower };
}

/** A write every 2 ms for 200 ms. */
const STEADY = Array.from({ length: 100 }, () => 'w').join(' 1ms ');

describe("shipOn: 'commit'", () => {
  it('ships each write as it commits, with no tick to wait for', async () => {
    const { run, leader, follower } = await runOnce('w 149ms w 149ms w', { shipIntervalMs: 250, shipOn: 'commit', applyMs: 0, stopAtMs: 1_000 });
    expect(lags(run)).toEqual([0, 0, 0]);
    expect(run.segments).toBe(3);
    expect(stateOf(follower, 500)).toEqual(stateOf(leader, 500));
  });

  it('refuses an unknown shipOn with InvalidInput', () => {
    expect(() => startLeader({ db: {} as TidalDb, transport: new InProcessTransport(), followers: [], shipOn: 'often' as 'tick' })).toThrowError(TidalError);
  });
});

describe('ack-clocked sealing', () => {
  it('while the follower applies, commits wait and ship together at its ack: segments follow its pace, not the writes', async () => {
    const { run, leader, follower } = await runOnce(STEADY, { shipIntervalMs: 1_000, shipOn: 'commit', applyMs: 5, stopAtMs: 2_000 });
    expect(run.writtenAt).toHaveLength(100);
    // 200 ms at one segment per 5 ms of apply: about 40 segments, far fewer than the 100 commits.
    expect(run.segments).toBeLessThanOrEqual(45);
    expect(Math.max(...lags(run))).toBeLessThanOrEqual(2 * 5 + 2);
    expect(stateOf(follower, 1_000)).toEqual(stateOf(leader, 1_000));
  });

  it('a smaller shipIntervalMs never raises lag: 1 ms ticks against a follower that takes 5 ms a segment', async () => {
    const at1 = lags((await runOnce(STEADY, { shipIntervalMs: 1, applyMs: 5, stopAtMs: 2_000 })).run);
    const at10 = lags((await runOnce(STEADY, { shipIntervalMs: 10, applyMs: 5, stopAtMs: 2_000 })).run);
    expect(Math.max(...at1)).toBeLessThanOrEqual(Math.max(...at10));
    expect(Math.max(...at1)).toBeLessThanOrEqual(2 * 5 + 2);
  });

  it('a follower whose ack stops moving does not hold sealing back: a lost segment shows as a gap within a stall, not a retransmit timeout', async () => {
    // The second segment is lost; the follower acks the first and then nothing new. Past MIN_STALLED_AFTER_MS
    // (25 ms; the 10 ms interval is shorter) the next tick seals again, the follower sees the gap and asks.
    const { run, leader, follower } = await runOnce('w 19ms w 19ms w 19ms w', { shipIntervalMs: 10, applyMs: 0, stopAtMs: 1_000, dropSegment: 1 });
    expect(Math.max(...lags(run))).toBeLessThan(25 + 2 * 10 + 10);
    expect(stateOf(follower, 500)).toEqual(stateOf(leader, 500));
  });
});
