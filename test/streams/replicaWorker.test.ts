/**
 * Read replicas in worker threads (issue 9), with real threads in real
 * time: a leader in this thread, FollowerDbs in workers started from the
 * worker entry compiled from the current sources (beforeAll). The worker
 * transport's own timing rules are tested in virtual time in
 * replicaWorkerTransport.test.ts.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import { firstValueFrom, type Observable, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TidalDb, TidalError } from '../../src/index.js';
import {
  type LeaderHandle, type PipelineState, type ReplicaWorker, type ReplicaWorkerOptions, type ShipFailure,
  startLeader, startReplicaWorker, WorkerTransport,
} from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { type CompiledReplicaWorker, compileReplicaWorker } from './replicaWorkerFixtures/compiledReplicaWorker.js';
import { until } from '../support/until.js';

const HALF_LIVES = { view: 3_600_000, like: 7_200_000 };
const AT = 1_000_000;
const WAIT = { timeoutMs: 10_000 };

let built: CompiledReplicaWorker;
const cleanup: Array<() => Promise<unknown> | unknown> = [];

beforeAll(() => {
  built = compileReplicaWorker();
});

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

afterAll(() => {
  fs.rmSync(built.dir, { recursive: true, force: true });
});

/** A leader shipping to `workers.followers$` every 10 ms, torn down after the test. */
async function leaderWithWorkers(capacity = 4): Promise<{ db: TidalDb; workers: WorkerTransport; shipping: LeaderHandle }> {
  const db = await TidalDb.open({ halfLifeMs: HALF_LIVES });
  const workers = new WorkerTransport({ capacity });
  const shipping = startLeader({ db, transport: workers, followers: workers.followers$, shipIntervalMs: 10 });
  cleanup.push(() => db.close(), () => workers.close(), () => shipping.stop());
  return { db, workers, shipping };
}

async function replica(options: Omit<ReplicaWorkerOptions, 'workerUrl'> & { workerUrl?: URL }): Promise<ReplicaWorker> {
  const r = await startReplicaWorker({ workerUrl: built.workerUrl, feedbackIntervalMs: 50, ...options });
  cleanup.push(() => r.stop());
  return r;
}

/** Writes `n` signals and items over 7 items, without awaiting each; resolves with the last seqno. */
async function write(db: TidalDb, n: number, from = 0): Promise<number> {
  const writes: Promise<number>[] = [];
  for (let i = from; i < from + n; i++) {
    if (i % 50 === 0) writes.push(db.writeItem({ id: `item-${i % 7}`, text: `river song ${i % 3} take ${i}` }));
    writes.push(db.signal({ itemId: `item-${i % 7}`, type: i % 5 === 0 ? 'like' : 'view', weight: 1 + (i % 3), at: AT + i }));
  }
  return Math.max(...(await Promise.all(writes)));
}

/** What a node serves, through the same reads the worker answers. */
async function servedBy(node: Pick<TidalDb, 'retrieve' | 'search' | 'readDecayScore'> | ReplicaWorker) {
  const at = AT + 10_000;
  return {
    views: await node.retrieve({ signal: 'view', limit: 100, at }),
    likes: await node.retrieve({ signal: 'like', limit: 100, at }),
    search: await node.search({ text: 'river song', signal: 'view', limit: 100, at }),
    score: await node.readDecayScore('item-3', 'view', at),
  };
}

function crash(peer: string, how: 'throw' | 'exit'): void {
  const channel = new BroadcastChannel('tidaldb-replica-worker-crash');
  channel.postMessage({ peer, how });
  channel.close();
}

function collected<T>(source: Observable<T>): Promise<T[]> {
  return firstValueFrom(source.pipe(toArray()));
}

describe('startReplicaWorker', () => {
  it('replicates into one worker (real threads, real time): its reads equal the leader\'s, lag$ reaches 0, state$ runs', async () => {
    const { db, workers } = await leaderWithWorkers();
    const r1 = await replica({ leader: workers, peer: 'r1' });
    const states = collected(r1.state$);
    expect(await firstValueFrom(workers.followers$)).toEqual(['r1']);
    const last = await write(db, 2_000);
    await r1.waitFor(last, WAIT);
    expect(await servedBy(r1)).toEqual(await servedBy(db));
    const lag = await new Promise((resolve) => r1.lag$.subscribe((l) => l.appliedSeq === last && l.events === 0 && resolve(l)));
    expect(lag).toMatchObject({ appliedSeq: last, leaderSeq: last, events: 0 });
    await r1.stop();
    expect(await states).toEqual(['starting', 'running', 'stopped']);
    expect(await firstValueFrom(workers.followers$)).toEqual([]);
  });

  it('replicates into three workers while the main thread ingests; every one converges to the leader\'s reads', async () => {
    const { db, workers } = await leaderWithWorkers();
    const replicas = await Promise.all(['r1', 'r2', 'r3'].map((peer) => replica({ leader: workers, peer })));
    let last = 0;
    for (let round = 0; round < 5; round++) last = await write(db, 1_000, round * 1_000);
    await Promise.all(replicas.map((r) => r.waitFor(last, WAIT)));
    const expected = await servedBy(db);
    for (const r of replicas) expect(await servedBy(r)).toEqual(expected);
  });

  it('survives a leader restart: the leader reopens its dir and starts a new pipeline on the same WorkerTransport; the worker resumes from its mark', async () => {
    const dir = tempDir('replica-worker-leader');
    const workers = new WorkerTransport({ capacity: 4 });
    cleanup.push(() => workers.close());
    const open = async () => {
      const db = await TidalDb.open({ dir, halfLifeMs: HALF_LIVES, wal: { sync: 'none' } });
      return { db, shipping: startLeader({ db, transport: workers, followers: workers.followers$, shipIntervalMs: 10 }) };
    };
    let leader = await open();
    const r1 = await replica({ leader: workers, peer: 'r1' });
    const before = await write(leader.db, 500);
    await r1.waitFor(before, WAIT);
    await leader.shipping.stop();
    await leader.db.close();
    leader = await open();
    cleanup.push(() => leader.db.close(), () => leader.shipping.stop());
    expect(leader.db.lastSeq).toBe(before);
    const after = await write(leader.db, 500, 500);
    await r1.waitFor(after, WAIT);
    expect(await servedBy(r1)).toEqual(await servedBy(leader.db));
    expect(await firstValueFrom(r1.state$)).toBe('running');
  });

  it('reads round-trip with typed errors: InvalidInput from a bad query crosses as a TidalError with its code and message', async () => {
    const { db, workers } = await leaderWithWorkers();
    const r1 = await replica({ leader: workers, peer: 'r1' });
    await r1.waitFor(await write(db, 10), WAIT);
    const bad = { signal: 'view', limit: 0 };
    const leaderError = (() => {
      try {
        db.retrieve(bad);
      } catch (err) {
        return err as TidalError;
      }
    })();
    const replicaError = await r1.retrieve(bad).catch((err: unknown) => err);
    expect(replicaError).toBeInstanceOf(TidalError);
    expect(replicaError).toMatchObject({ name: 'TidalError', code: 'InvalidInput', message: leaderError!.message });
    await expect(r1.readDecayScore(7 as never, 'view')).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('itemId') });
    await expect(r1.search({ text: 'river', maxStaleMs: -1 })).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(r1.waitFor(10_000, { timeoutMs: 20 })).rejects.toMatchObject({ name: 'TidalError', code: 'Timeout' });
    await expect(r1.waitFor(1, undefined as never)).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(r1.retrieve({ signal: 'view', at: (() => 1) as never })).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('cannot be sent') });
    expect(await r1.readDecayScore('item-1', 'view', AT + 10)).toBe(db.readDecayScore('item-1', 'view', AT + 10));
  });

  it('refuses a read past maxInFlightRequests with TooManyRequests; stop() rejects the waiting ones with Closed', async () => {
    const { workers } = await leaderWithWorkers();
    const r1 = await replica({ leader: workers, peer: 'r1', maxInFlightRequests: 2 });
    const waiting = [r1.waitFor(1_000, WAIT), r1.waitFor(1_000, WAIT)].map((w) => w.catch((err: unknown) => err));
    const refused = await r1.retrieve({ signal: 'view' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TidalError);
    expect(refused).toMatchObject({ code: 'TooManyRequests', message: expect.stringContaining('2 requests in flight') });
    await r1.stop();
    for (const w of waiting) expect(await w).toMatchObject({ name: 'TidalError', code: 'Closed' });
    await expect(r1.retrieve({ signal: 'view' })).rejects.toMatchObject({ code: 'Closed' });
  });

  it('a worker that throws is reported (state$ failed, error$ typed, reads rejected, the leader\'s rejected$); a restart with a dir resumes from its own mark', async () => {
    const { db, workers, shipping } = await leaderWithWorkers();
    const dir = tempDir('replica-worker');
    const first = await replica({ leader: workers, peer: 'r1', workerUrl: built.crashingUrl, db: { dir } });
    const before = await write(db, 500);
    await first.waitFor(before, WAIT);
    const states = collected(first.state$);
    const errors = collected(first.error$);
    const rejected: ShipFailure[] = [];
    shipping.rejected$.subscribe((r) => rejected.push(r));
    const waiting = first.waitFor(before + 10_000, WAIT).catch((err: unknown) => err);
    crash('r1', 'throw');
    expect((await states).at(-1)).toBe<PipelineState>('failed');
    const [error] = await errors;
    expect(error).toBeInstanceOf(TidalError);
    expect(error).toMatchObject({ code: 'Failed', message: expect.stringMatching(/replica worker "r1" \(thread \d+\) threw: boom/) });
    expect(await waiting).toBe(error);
    await expect(first.retrieve({ signal: 'view' })).rejects.toBe(error);
    expect(await firstValueFrom(workers.followers$)).toEqual(['r1']); // crashed, not stopped: the leader keeps what it needs
    const after = await write(db, 500, 500);
    await until(() => rejected.length > 0, 'a rejection', { timeoutMs: 5_000, pollMs: 5 });
    expect(rejected[0]).toMatchObject({ peer: 'r1', error });

    const second = await first.restart();
    cleanup.push(() => second.stop());
    const resumedAt = await firstValueFrom(second.lag$);
    expect(resumedAt.appliedSeq).toBeGreaterThanOrEqual(before); // from its own disk, not from 0
    await second.waitFor(after, WAIT);
    expect(await servedBy(second)).toEqual(await servedBy(db));
  });

  it('a worker that exits is reported with its exit code; an in-memory restart catches up from the leader', async () => {
    const { db, workers } = await leaderWithWorkers();
    const first = await replica({ leader: workers, peer: 'r1', workerUrl: built.crashingUrl });
    await first.waitFor(await write(db, 300), WAIT);
    const errors = collected(first.error$);
    crash('r1', 'exit');
    expect(await errors).toEqual([expect.objectContaining({ code: 'Failed', message: expect.stringMatching(/exited with code 3$/) })]);
    const second = await first.restart();
    cleanup.push(() => second.stop());
    await second.waitFor(await write(db, 300, 300), WAIT);
    expect(await servedBy(second)).toEqual(await servedBy(db));
  });

  it('a start that fails is typed and leaves the peer out of followers$: Locked dir, PeerInUse, no worker script', async () => {
    const { workers } = await leaderWithWorkers();
    const dir = tempDir('replica-worker-locked');
    const holder = await TidalDb.open({ dir, role: 'follower' });
    cleanup.push(() => holder.close());
    await expect(replica({ leader: workers, peer: 'r1', db: { dir } })).rejects.toMatchObject({ name: 'TidalError', code: 'Locked' });
    expect(await firstValueFrom(workers.followers$)).toEqual([]);
    await replica({ leader: workers, peer: 'r2' });
    await expect(replica({ leader: workers, peer: 'r2' })).rejects.toMatchObject({ code: 'PeerInUse' });
    await expect(startReplicaWorker({ leader: workers, peer: 'r3', workerUrl: '/nowhere/replicaWorkerMain.js' }))
      .rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('no worker script at /nowhere/replicaWorkerMain.js') });
    expect(await firstValueFrom(workers.followers$)).toEqual(['r2']);
  });

  it('stop() leaves no thread, port or timer: the process exits on its own (a child process that never calls process.exit)', async () => {
    const child = spawn(process.execPath, [built.exitChild, built.crashingUrl.pathname], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child did not exit on its own within 20 s; stdout: ${out}; stderr: ${err}`)), 20_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect({ code, out, err }).toEqual({ code: 0, out: 'stopped at 200\n', err: '' });
  });
});

