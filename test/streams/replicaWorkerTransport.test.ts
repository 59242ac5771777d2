/**
 * The worker transport's own logic in virtual time, over VirtualPort pairs
 * (a scheduler delivers each message, cloned with its transfer list, as a
 * MessagePort does): the credit window, the two ends, and the unchanged
 * startLeader/startFollower over them. The real threads are in
 * replicaWorker.test.ts.
 */
import { map, takeUntil } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { TidalError } from '../../src/index.js';
import { asTransport, type FollowerFeedback, type PeerId, type ShipFailure, startFollower, startLeader, WorkerTransport } from '../../streams/index.js';
import { CreditWindow } from '../../streams/transports/workerTransportWindow.js';
import { WorkerTransportFollower } from '../../streams/transports/workerTransportFollower.js';
import { memoryFollower, memoryLeader, sealedSegment, stateOf, virtualClock } from './fixtures.js';
import { decodeShipment, encodeShipment, type WireShipment } from '../../streams/transports/workerTransportMessages.js';
import { VirtualPort } from './replicaWorkerFixtures/virtualPort.js';

describe('CreditWindow', () => {
  it('posts up to capacity at once, then each waiting send when a credit comes back, in order', marbles((m) => {
    const window = new CreditWindow(2);
    const posted: string[] = [];
    const sends = m.cold('abc-d|');
    const accepted = sends.pipe(map((x) => x));
    const done: string[] = [];
    accepted.subscribe((x) => window.send$(() => posted.push(`${x}@${m.scheduler.now()}`)).subscribe(() => done.push(x)));
    m.cold('------g--g').subscribe(() => window.grant(1));
    m.flush();
    expect(posted).toEqual(['a@0', 'b@1', 'c@6', 'd@9']);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
    expect(window.inFlight).toBe(2);
  }));

  it('a waiting send completes when a credit comes; one unsubscribed first is withdrawn and never posted', marbles((m) => {
    const window = new CreditWindow(1);
    window.send$(() => undefined).subscribe(); // takes the only credit
    const posted: string[] = [];
    window.send$(() => posted.push('withdrawn')).pipe(takeUntil(m.cold('--x'))).subscribe();
    m.cold('-----g').subscribe(() => window.grant(1));
    m.expect(window.send$(() => posted.push('next')).pipe(map(() => 's'))).toBeObservable('-----(s|)');
    m.flush();
    expect(posted).toEqual(['next']);
    expect(window.waitingSends).toBe(0);
  }));

  it('refuses credits it never gave, and close() errors every waiting send', () => {
    const window = new CreditWindow(1);
    expect(window.grant(1)).toBe(false);
    window.send$(() => undefined).subscribe();
    const errors: unknown[] = [];
    window.send$(() => undefined).subscribe({ error: (e) => errors.push(e) });
    const err = new TidalError('Closed', 'closed');
    window.close(err);
    window.send$(() => undefined).subscribe({ error: (e) => errors.push(e) });
    expect(errors).toEqual([err, err]);
  });
});

describe('encodeShipment', () => {
  it('copies a segment into a buffer of its own before transferring it: the leader\'s bytes (a Buffer, pooled or not) stay whole', async () => {
    const leader = await memoryLeader(() => 0);
    for (const n of [3, 2_000]) { // a small segment sits in Buffer's shared pool; a large one has its own ArrayBuffer
      const segment = await sealedSegment(leader, n);
      const before = Uint8Array.from(segment.bytes);
      const { message, transfer } = encodeShipment(segment);
      expect(transfer[0]!.byteLength).toBe(segment.bytes.byteLength);
      const received = structuredClone(message, { transfer } as never) as { shipment: WireShipment };
      expect(Uint8Array.from(segment.bytes)).toEqual(before);
      const decoded = decodeShipment(received.shipment);
      expect(decoded).toMatchObject({ segmentId: segment.segmentId, firstSeq: segment.firstSeq, lastSeq: segment.lastSeq });
      expect(Uint8Array.from(decoded.bytes)).toEqual(before);
      expect(decoded.checksum.equals(segment.checksum)).toBe(true);
    }
  });
});

describe('WorkerTransport and WorkerTransportFollower in virtual time', () => {
  it('startLeader and startFollower, unchanged, replicate over the two ends; the leader keeps its own bytes', async () => {
    const vc = virtualClock();
    const [leader, follower] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock)];
    let posted: VirtualPort | null = null;
    marbles((m) => {
      vc.use(m.scheduler);
      const workers = new WorkerTransport({ capacity: 2 });
      const [main, worker] = VirtualPort.pair(m.scheduler);
      posted = main;
      workers.attach('r1', main);
      const end = new WorkerTransportFollower(worker, { peer: 'r1', capacity: workers.capacity });
      const l = startLeader({ db: leader, transport: workers, followers: workers.followers$, shipIntervalMs: 10, scheduler: m.scheduler });
      const f = startFollower({ db: follower, transport: end, peer: 'r1', feedbackIntervalMs: 5, scheduler: m.scheduler });
      let n = 0;
      m.cold('-w-w-w--w-----ww---w|').subscribe(() => void leader.signal({ itemId: `item-${n++ % 5}`, type: 'view', at: m.scheduler.now() }));
      m.scheduler.schedule(() => {
        void l.stop();
        void f.stop();
        end.close();
        workers.close();
      }, 200);
    })();
    expect(stateOf(follower, 1_000)).toEqual(stateOf(leader, 1_000));
    expect(follower.lastSeq).toBe(7);
    // Every segment crossed with its bytes transferred, and the leader's copies are intact: it re-reads them all.
    expect(posted!.posted.length).toBeGreaterThan(0);
    for (const s of leader.wal.sealedSegments) expect(s.byteLength).toBeGreaterThan(0);
    let firstAfter0 = 0;
    leader.wal.nextSegment$(0).subscribe((s) => (firstAfter0 = s.bytes.length));
    expect(firstAfter0).toBeGreaterThan(0);
  });

  it('holds at most capacity segments in flight to a worker that does not take them', async () => {
    const leader = await memoryLeader(() => 0);
    const segments = [await sealedSegment(leader, 2), await sealedSegment(leader, 2), await sealedSegment(leader, 2)];
    marbles((m) => {
      const workers = new WorkerTransport({ capacity: 2 });
      const [main, worker] = VirtualPort.pair(m.scheduler);
      workers.attach('r1', main);
      const end = new WorkerTransportFollower(worker, { peer: 'r1', capacity: 2 });
      const accepted: number[] = [];
      for (const s of segments) workers.send$('r1', s).subscribe(() => accepted.push(s.segmentId));
      m.flush();
      expect(accepted).toEqual([segments[0]!.segmentId, segments[1]!.segmentId]);
      expect(end.buffered).toBe(2);
      expect(workers.inFlight('r1')).toBe(2);
      const got: number[] = [];
      end.receive$('r1').subscribe((s) => got.push((s as { segmentId: number }).segmentId));
      m.flush();
      expect(got).toEqual([segments[0]!.segmentId]);
      expect(accepted).toHaveLength(3);
      expect(end.buffered).toBe(2);
    })();
    // The leader's bytes were copied before the transfer: still whole.
    for (const s of segments) expect(s.bytes.byteLength).toBeGreaterThan(0);
  });

  it('the first feedback after an attach is a re-send request from the worker\'s mark; the port speaks for its own peer only', () => marbles((m) => {
    const workers = new WorkerTransport();
    const [main, worker] = VirtualPort.pair(m.scheduler);
    const feedback: FollowerFeedback[] = [];
    workers.feedback().subscribe((f) => feedback.push(f));
    workers.attach('r1', main);
    const end = new WorkerTransportFollower(worker, { peer: 'r1', capacity: workers.capacity });
    end.sendFeedback({ peer: 'r1', kind: 'ack', appliedSeq: 5, receivedSeq: 5, atMs: 0 });
    end.sendFeedback({ peer: 'someone-else', kind: 'ack', appliedSeq: 6, receivedSeq: 6, atMs: 1 });
    m.flush();
    expect(feedback.map((f) => [f.peer, f.kind, f.appliedSeq])).toEqual([['r1', 'resend', 5], ['r1', 'ack', 6]]);
  })());

  it('carries the durable mark (quorum acks), and unlinks a worker whose feedback has durableSeq below appliedSeq', () => marbles((m) => {
    const workers = new WorkerTransport();
    const [main, worker] = VirtualPort.pair(m.scheduler);
    const feedback: FollowerFeedback[] = [];
    workers.feedback().subscribe((f) => feedback.push(f));
    workers.attach('r1', main);
    const end = new WorkerTransportFollower(worker, { peer: 'r1', capacity: workers.capacity });
    end.sendFeedback({ peer: 'r1', kind: 'ack', appliedSeq: 5, durableSeq: 5, receivedSeq: 8, atMs: 0 });
    end.sendFeedback({ peer: 'r1', kind: 'ack', appliedSeq: 6, durableSeq: 2, receivedSeq: 8, atMs: 1 });
    end.sendFeedback({ peer: 'r1', kind: 'ack', appliedSeq: 7, durableSeq: 7, receivedSeq: 8, atMs: 2 });
    m.flush();
    expect(feedback.map((f) => [f.kind, f.receivedSeq, f.durableSeq, f.appliedSeq])).toEqual([['resend', 8, 5, 5]]);
  })());

  it('a detached peer fails its sends with the reason, on the leader\'s rejected$, until a new worker attaches and resumes from its mark', async () => {
    const vc = virtualClock();
    const [leader, first, second] = [await memoryLeader(vc.clock), await memoryFollower(vc.clock), await memoryFollower(vc.clock)];
    const rejected: ShipFailure[] = [];
    const crash = new TidalError('Failed', 'replica worker "r1" exited with code 1: boom');
    marbles((m) => {
      vc.use(m.scheduler);
      const workers = new WorkerTransport({ capacity: 4 });
      const l = startLeader({ db: leader, transport: workers, followers: workers.followers$, shipIntervalMs: 10, scheduler: m.scheduler });
      l.rejected$.subscribe((r) => rejected.push(r));
      const run = (db: typeof first) => {
        const [main, worker] = VirtualPort.pair(m.scheduler);
        const attachment = workers.attach('r1', main);
        const end = new WorkerTransportFollower(worker, { peer: 'r1', capacity: workers.capacity });
        const f = startFollower({ db, transport: end, peer: 'r1', feedbackIntervalMs: 5, scheduler: m.scheduler });
        return () => {
          main.sever();
          void f.stop();
          end.close();
          attachment.detach(crash);
        };
      };
      let n = 0;
      m.cold('-w-w-w--w-----ww---w-----w---w-w').subscribe(() => void leader.signal({ itemId: `item-${n++ % 5}`, type: 'view', at: m.scheduler.now() }));
      const kill = run(first);
      let stopSecond = () => {};
      m.scheduler.schedule(() => kill(), 22); // crashes mid-stream
      m.scheduler.schedule(() => (stopSecond = run(second)), 50);
      m.scheduler.schedule(() => {
        void l.stop();
        stopSecond();
        workers.close();
      }, 300);
    })();
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]).toMatchObject({ peer: 'r1', error: crash });
    expect(first.lastSeq).toBeLessThan(leader.lastSeq);
    expect(stateOf(second, 1_000)).toEqual(stateOf(leader, 1_000));
  });

  it('followers$ holds attached and crashed peers, not stopped ones; a stopped handle never evicts the worker that replaced it', () => marbles((m) => {
    const workers = new WorkerTransport();
    const sets: Array<readonly PeerId[]> = [];
    workers.followers$.subscribe((s) => sets.push(s));
    const a1 = workers.attach('a', VirtualPort.pair(m.scheduler)[0]);
    const b = workers.attach('b', VirtualPort.pair(m.scheduler)[0]);
    expect(() => workers.attach('a', VirtualPort.pair(m.scheduler)[0])).toThrow(expect.objectContaining({ code: 'PeerInUse' }));
    a1.detach(new TidalError('Failed', 'crashed'));
    const a2 = workers.attach('a', VirtualPort.pair(m.scheduler)[0]);
    a1.leave(); // the crashed handle stopped late: 'a' is a2's now
    b.leave();
    expect(sets).toEqual([[], ['a'], ['a', 'b'], ['a']]);
    a2.leave();
    expect(sets.at(-1)).toEqual([]);
    workers.close();
  })());

  it('a worker that over-credits or sends garbage is detached with a typed error; the follower end refuses more than its credit', () => marbles((m) => {
    const workers = new WorkerTransport({ capacity: 1 });
    const [main, worker] = VirtualPort.pair(m.scheduler);
    workers.attach('r1', main);
    worker.postMessage({ t: 'credit', n: 1 });
    m.flush();
    const errors: unknown[] = [];
    workers.send$('r1', { kind: 'checkpoint', shardId: 0, seq: 1, bytes: new Uint8Array(1), checksum: { bytes: new Uint8Array(32) } } as never)
      .subscribe({ error: (e) => errors.push(e) });
    expect(errors[0]).toMatchObject({ name: 'TidalError', code: 'Failed', message: expect.stringContaining('returned 1 credits with 0 segments in flight') });
    expect(main.listenerCount).toBe(0);

    const [leaderPort, workerPort] = VirtualPort.pair(m.scheduler);
    const end = new WorkerTransportFollower(workerPort, { peer: 'r2', capacity: 1 });
    const received: unknown[] = [];
    const shipment = { kind: 'checkpoint', shardId: 0, seq: 1, bytes: new Uint8Array(1), checksum: new Uint8Array(32) };
    leaderPort.postMessage({ t: 'shipment', shipment });
    leaderPort.postMessage({ t: 'shipment', shipment });
    m.flush();
    end.receive$('r2').subscribe({ next: (s) => received.push(s), error: (e) => received.push(e) });
    end.receive$('r2').subscribe({ next: (s) => received.push(s), error: (e) => received.push(e) });
    expect(received[0]).toMatchObject({ kind: 'checkpoint', seq: 1 });
    expect(received[1]).toMatchObject({ code: 'Failed', message: expect.stringContaining('more than its 1 segments of credit') });
  })());

  it('each end offers only its own half of the transport; asTransport (deprecated) hands an end back unchanged', () => {
    const workers = new WorkerTransport();
    for (const method of ['recvSegment', 'receive$', 'segments', 'sendFeedback', 'status']) expect(method in workers, method).toBe(false);
    const port = VirtualPort.pair({ now: () => 0, schedule: () => ({ unsubscribe() {} }) } as never)[0];
    const end = new WorkerTransportFollower(port, { peer: 'r1', capacity: 1 });
    for (const method of ['sendSegment', 'send$', 'feedback', 'sendStatus']) expect(method in end, method).toBe(false);
    expect(asTransport(workers)).toBe(workers);
    expect(asTransport(end)).toBe(end);
    workers.close();
  });
});
