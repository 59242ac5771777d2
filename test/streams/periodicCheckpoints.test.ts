/**
 * periodicCheckpoints in virtual time: against a fake checkpoint source
 * whose checkpoint takes a few virtual ms (marbles), and a whole leader
 * whose checkpoints bound the sealed bytes it holds (virtual time stepped,
 * the in-memory database's promises settled between steps). No sleeps.
 */
import { defer, map, type Observable, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import type { CheckpointSource } from '../../src/index.js';
import { InProcessTransport, startLeader } from '../../streams/index.js';
import { periodicCheckpoints } from '../../streams/periodicCheckpoints.js';
import { memoryLeader, runVirtualTime } from './fixtures.js';

/** A database as periodicCheckpoints sees it: its marks, and a checkpoint that is `work$` (a cold marble). */
function fakeDb(work$: Observable<unknown>) {
  const marks = { lastSeq: 0, sealedSegmentCount: 0, recoveredCheckpointSeq: 0, closed: false };
  const replication: CheckpointSource = {
    get lastSeq() { return marks.lastSeq; },
    get sealedSegmentCount() { return marks.sealedSegmentCount; },
    get recoveredCheckpointSeq() { return marks.recoveredCheckpointSeq; },
    isClosed: () => marks.closed,
    checkpoint$: () => defer(() => {
      const seq = marks.lastSeq;
      return work$.pipe(map(() => seq));
    }),
  };
  return { marks, db: { replication } };
}

describe('periodicCheckpoints', () => {
  it('checkpoints every intervalMs after the last attempt, only when something changed: a new seqno or a new sealed segment', marbles((m) => {
    const work = m.cold('   3ms (a|)');
    const { marks, db } = fakeDb(work);
    m.cold('5ms a 19ms b 14ms s', { a: 5, b: 15, s: -1 }).subscribe((seq) => (seq < 0 ? marks.sealedSegmentCount++ : (marks.lastSeq = seq)));
    // Writes at 5 (seqno 5) and 25 (15), a segment sealed at 40. Attempts at 10, 23 (nothing new), 33 and 46.
    m.expect(periodicCheckpoints(db, 10, { scheduler: m.scheduler }), '^ 59ms !').toBeObservable('13ms a 22ms b 12ms c', { a: 5, b: 15, c: 15 });
    m.expect(work).toHaveSubscriptions(['10ms ^--!', '33ms ^--!', '46ms ^--!']);
  }));

  it('reports a failed checkpoint to onError and tries again one interval later', marbles((m) => {
    const errors: unknown[] = [];
    let attempts = 0;
    const work = defer(() => (++attempts <= 2 ? m.cold('2ms #', undefined, new Error(`disk full ${attempts}`)) : m.cold('2ms (a|)')));
    const { marks, db } = fakeDb(work);
    marks.lastSeq = 3;
    const result = periodicCheckpoints(db, 10, { scheduler: m.scheduler, onError: (e) => errors.push((e as Error).message) });
    // Fails at 12 and 24; the third attempt (34) lands at 36.
    m.expect(result, '^ 45ms !').toBeObservable('36ms a', { a: 3 });
    m.scheduler.schedule(() => expect(errors).toEqual(['disk full 1', 'disk full 2']), 30);
  }));

  it('never stacks a checkpoint on a slow one: the next attempt waits for it to settle', marbles((m) => {
    const work = m.cold('   25ms (a|)');
    const { marks, db } = fakeDb(work);
    m.cold('w 15ms w').subscribe(() => marks.lastSeq++);
    // The attempt at 10 checkpoints seqno 1 until 35; the next is at 45 (not 20, 30), and takes in seqno 2 (written at 16).
    m.expect(periodicCheckpoints(db, 10, { scheduler: m.scheduler }), '^ 79ms !').toBeObservable('35ms a 34ms b', { a: 1, b: 2 });
    m.expect(work).toHaveSubscriptions(['10ms ^ 24ms !', '45ms ^ 24ms !']);
  }));

  it('takes none while the database is closed', marbles((m) => {
    const work = m.cold('1ms (a|)');
    const { marks, db } = fakeDb(work);
    marks.lastSeq = 9;
    marks.closed = true;
    m.expect(periodicCheckpoints(db, 10, { scheduler: m.scheduler }), '^ 50ms !').toBeObservable('');
    m.expect(work).toHaveSubscriptions([]);
  }));

  it('runs each checkpoint through the tracker it is given (a pipeline\'s, which stop() waits for: pipelineLifecycle.test.ts)', marbles((m) => {
    const work = m.cold('   5ms (a|)');
    const { marks, db } = fakeDb(work);
    marks.lastSeq = 1;
    const tracked: string[] = [];
    const track = <T>(work$: Observable<T>) => defer(() => {
      tracked.push('start');
      return work$;
    });
    m.expect(periodicCheckpoints(db, 10, { scheduler: m.scheduler, track }), '^ 12ms !').toBeObservable('');
    m.expect(work).toHaveSubscriptions(['10ms ^--!']); // this tracker lets an unsubscribe cancel it; a pipeline's does not
    m.scheduler.schedule(() => expect(tracked).toEqual(['start']), 20);
  }));
});

describe('A long-running leader keeps its sealed bytes bounded: the WalShipper checkpoints on checkpointIntervalMs and retention runs then', () => {
  it('holds at most maxRetainedBytes of sealed segments with no operator step (virtual time)', async () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    // checkpointAfterBytes Infinity: only the WalShipper's periodic checkpoints run retention here, not the database's own.
    const db = await memoryLeader(() => scheduler.now(), { wal: { maxRetainedBytes: 3_000, checkpointAfterBytes: Infinity } });
    const transport = new InProcessTransport();
    const shipping = startLeader({ db, transport, followers: [], shipIntervalMs: 10, checkpointIntervalMs: 30, scheduler });
    let written = 0;
    for (let round = 0; round < 20; round++) {
      scheduler.schedule(() => {
        for (let i = 0; i < 200; i++) void db.signal({ itemId: `item-${written + i}`, type: 'view', at: scheduler.now() });
        written += 200;
      }, round * 12);
    }
    const held = () => db.wal.sealedSegments.reduce((n, s) => n + s.byteLength, 0);
    const peak = { bytes: 0 };
    await runVirtualTime(scheduler, 240, 1, () => void (peak.bytes = Math.max(peak.bytes, held())));
    expect(db.lastSeq).toBe(4_000);
    expect(peak.bytes).toBeGreaterThan(3_000); // the cap was passed between checkpoints: retention had work to do
    // Once writes stop, the next checkpoint (within a tick or two) brings it under the cap.
    await runVirtualTime(scheduler, 400, 1);
    expect(db.wal.sealedSegments.length).toBeGreaterThan(0);
    expect(held()).toBeLessThanOrEqual(3_000);
    expect(db.metrics.snapshot().gauges['checkpoints.written']).toBeGreaterThanOrEqual(2);
    await shipping.stop();
    transport.close();
    await db.close();
  });
});
