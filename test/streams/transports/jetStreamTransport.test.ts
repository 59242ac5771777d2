/**
 * JetStreamTransport against a real nats-server (test/support/natsServer.ts):
 * publishing once for every follower, catching up from the stream, the
 * checkpoint bootstrap, what a follower refuses, dedup by message id,
 * fencing a deposed leader, the max_payload rule, options and teardown.
 * Faults of the server itself (down at start, lost mid-stream) are in
 * jetStreamFaults.test.ts. Skips, saying how to install it, without nats-server.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, type TidalDbOptions, type WalSegmentPayload } from '../../../src/index.js';
import { JetStreamTransport, type JetStreamLinkState, type JetStreamTransportEvent, type SegmentRejection, type ShipEvent, startFollower, startLeader } from '../../../streams/index.js';
import { flipBit } from '../../../streams/transports/faultInjectingTransport.js';
import { shipmentMessages } from '../../../streams/transports/jetStreamHeaders.js';
import { FencedPublisher } from '../../../streams/transports/jetStreamPublisher.js';
import { readLogPosition } from '../../../streams/transports/jetStreamStream.js';
import { jetStreamNames } from '../../../streams/transports/jetStreamSubjects.js';
import { HALF_LIVES, snapshotOf, tempDir, until, writeSignals } from '../../acceptance/harness.js';
import { FAST_JETSTREAM, SMALL_STREAM, startJetStreamCluster, uniqueNames } from '../../support/jetStreamCluster.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from '../../bench/jetStreamServer.js';
import { liveHandles, within } from './tcpFixtures.js';

/** Everything a test opens, closed after it whatever happened (newest first). */
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

let nats: NatsServer;

async function open<T extends { close(): unknown }>(thing: Promise<T>): Promise<T> {
  const t = await thing;
  cleanup.push(() => t.close());
  return t;
}

/** Writes `n` views and seals them into one segment. */
async function sealedAfter(db: TidalDb, n: number): Promise<WalSegmentPayload> {
  await writeSignals(db, n, 20, db.lastSeq);
  const sealed = await db.wal.seal();
  if (!sealed) throw new Error('nothing sealed');
  return sealed;
}

async function leaderDb(options: TidalDbOptions = {}): Promise<TidalDb> {
  return open(TidalDb.open({ halfLifeMs: HALF_LIVES, ...options }));
}

/** A raw NATS client, for looking at the stream and writing to it as a stranger would. */
async function rawClient(): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await open(connect({ servers: nats.url }));
  return { nc, jsm: await jetstreamManager(nc) };
}

/** Polls `read` until `ok` holds for what it returns; returns that. */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function codes(rejected: SegmentRejection[]): string[] {
  return rejected.map((r) => (r.error as { code?: string }).code ?? r.error.name);
}

if (!NATS_SERVER_AVAILABLE) {
  describe('JetStreamTransport', () => it.skip(NATS_SKIP_REASON, () => {}));
} else {
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.close();
  });

  describe('JetStreamTransport: one stream per shard, each segment once for every follower', () => {
    it('three followers replicate; the stream holds each segment once (no copy per follower)', async () => {
      const c = await startJetStreamCluster(nats, { followers: 3, shipIntervalMs: 30 });
      cleanup.push(() => c.stop());
      const shipped: ShipEvent[] = [];
      c.leaderHandle.shipped$.subscribe((e) => shipped.push(e));
      const last = await writeSignals(c.leader, 600);
      await Promise.all(c.followers.map((f) => f.waitFor(last, { timeoutMs: 5_000 })));
      for (const f of c.followers) expect(snapshotOf(f)).toEqual(snapshotOf(c.leader));
      // A follower can apply a segment before the leader hears its publish acked: wait for the acceptances.
      await until(() => ['f1', 'f2', 'f3'].every((p) => shipped.some((e) => e.peer === p && e.lastSeq === last)), 'every send accepted', { timeoutMs: 2_000, pollMs: 5 });
      const segments = new Set(shipped.map((e) => e.firstSeq));
      const counters = c.leader.metrics.snapshot().counters;
      expect(counters['replication.streamMessages']).toBe(segments.size);
      expect(counters['replication.streamResends'] ?? 0).toBe(0);
      const { jsm } = await rawClient();
      expect((await jsm.streams.info(c.names.stream)).state.messages).toBe(segments.size);
      expect(c.leaderEnd.publishedThrough).toBe(last);
    });

    it('a follower that joins later catches up from the stream alone, and one restarted from its directory resumes from its mark', async () => {
      const names = uniqueNames();
      const leader = await leaderDb();
      const leaderEnd = await open(JetStreamTransport.leader({ servers: nats.url, db: leader, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM }));
      const shipping = startLeader({ db: leader, transport: leaderEnd, followers: ['early', 'late'], shipIntervalMs: 20 });
      cleanup.push(() => shipping.stop());
      const follow = async (peer: string, db: TidalDb) => {
        const end = await JetStreamTransport.follower({ servers: nats.url, db, peer, ...names, ...FAST_JETSTREAM });
        const handle = startFollower({ db, transport: end, peer, feedbackIntervalMs: 50 });
        return { end, handle, async stop() { await handle.stop(); await end.close(); } };
      };
      const early = await follow('early', await open(FollowerDb.open()));
      cleanup.push(() => early.stop());
      const first = await writeSignals(leader, 500);
      const { jsm } = await rawClient();
      await until(() => leaderEnd.publishedThrough === first, 'everything on the stream', { timeoutMs: 5_000, pollMs: 5 });
      const dir = tempDir('jetstream-late');
      let lateDb = await FollowerDb.open({ dir });
      let late = await follow('late', lateDb);
      await lateDb.waitFor(first, { timeoutMs: 5_000 });
      await late.stop();
      await lateDb.close();
      const second = await writeSignals(leader, 300, 100, 500);
      await until(() => leaderEnd.publishedThrough === second, 'the rest on the stream', { timeoutMs: 5_000, pollMs: 5 });
      lateDb = await open(FollowerDb.open({ dir }));
      expect(lateDb.lastSeq).toBe(first);
      late = await follow('late', lateDb);
      const applied: number[] = [];
      late.handle.applied$.subscribe((r) => applied.push(r.firstSeq));
      cleanup.push(() => late.stop());
      await lateDb.waitFor(second, { timeoutMs: 5_000 });
      expect(Math.min(...applied)).toBeGreaterThan(first - 1); // from its mark, not from the start
      expect(snapshotOf(lateDb)).toEqual(snapshotOf(leader));
      expect(leader.metrics.snapshot().counters['replication.streamResends'] ?? 0).toBe(0);
      const consumer = await jsm.consumers.info(names.stream, 'late');
      expect(consumer.config).toMatchObject({ durable_name: 'late', ack_policy: 'explicit', filter_subject: `${names.subjectPrefix}.0.shipments` });
    });

    it('a follower behind what the stream retains gets the leader\'s checkpoint first, then the segments after it', async () => {
      const names = uniqueNames();
      const leader = await leaderDb({ dir: tempDir('jetstream-bootstrap'), wal: { sync: 'none', maxRetainedBytes: 4_000 } });
      const leaderEnd = await open(JetStreamTransport.leader({
        servers: nats.url, db: leader, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM, maxStreamMessages: 3,
      }));
      const shipping = startLeader({ db: leader, transport: leaderEnd, followers: ['f1', 'late'], shipIntervalMs: 20, checkpointIntervalMs: 0 });
      cleanup.push(() => shipping.stop());
      const kinds = new Map<string, string[]>();
      shipping.shipped$.subscribe((e) => kinds.set(e.peer, [...(kinds.get(e.peer) ?? []), e.kind]));
      const f1 = await open(FollowerDb.open());
      const f1End = await open(JetStreamTransport.follower({ servers: nats.url, db: f1, peer: 'f1', ...names, ...FAST_JETSTREAM }));
      const f1Handle = startFollower({ db: f1, transport: f1End, peer: 'f1', feedbackIntervalMs: 50 });
      cleanup.push(() => f1Handle.stop());
      for (let i = 0; i < 10; i++) await f1.waitFor(await writeSignals(leader, 100, 50, i * 100), { timeoutMs: 5_000 });
      await leader.checkpoint();
      const { jsm } = await rawClient();
      expect((await jsm.streams.info(names.stream)).state.messages).toBe(3);
      expect(leader.wal.sealedSegments[0]!.firstSeq).toBeGreaterThan(1);
      const late = await open(FollowerDb.open());
      const lateEnd = await open(JetStreamTransport.follower({ servers: nats.url, db: late, peer: 'late', ...names, ...FAST_JETSTREAM }));
      const lateHandle = startFollower({ db: late, transport: lateEnd, peer: 'late', feedbackIntervalMs: 50 });
      cleanup.push(() => lateHandle.stop());
      const last = await writeSignals(leader, 100, 50, 1_000);
      await late.waitFor(last, { timeoutMs: 10_000 });
      expect(kinds.get('late')![0]).toBe('checkpoint');
      expect(snapshotOf(late)).toEqual(snapshotOf(leader));
    });
  });

  describe('JetStreamTransport: what a follower refuses, as over TCP', () => {
    it('a bad checksum, a wrong shard, an older epoch and a gap on the stream are refused, nothing of them applied; good copies converge', async () => {
      const old = await leaderDb();
      const a = await sealedAfter(old, 20); // 1..20, epoch 0
      const promoted = await open(FollowerDb.open());
      await promoted.applySegment(a);
      await promoted.promote(); // leads epoch 1 from seqno 21
      const d = await sealedAfter(promoted, 20); // 21..40, epoch 1
      await sealedAfter(old, 20);
      const stale = await sealedAfter(old, 20); // 41..60, epoch 0: a deposed leader's
      const e = await sealedAfter(promoted, 20); // 41..60, epoch 1
      const g = await sealedAfter(promoted, 20); // 61..80
      const otherShard = await sealedAfter(await leaderDb({ shardId: 1 }), 20);
      const names = uniqueNames();
      const leaderEnd = await open(JetStreamTransport.leader({ servers: nats.url, db: promoted, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM }));
      const replica = await open(FollowerDb.open());
      const followerEnd = await open(JetStreamTransport.follower({ servers: nats.url, db: replica, peer: 'f1', ...names, ...FAST_JETSTREAM }));
      const handle = startFollower({ db: replica, transport: followerEnd, peer: 'f1', feedbackIntervalMs: 50 });
      cleanup.push(() => handle.stop());
      const rejected: SegmentRejection[] = [];
      handle.rejected$.subscribe((r) => rejected.push(r));
      const refused: JetStreamTransportEvent[] = [];
      followerEnd.events$.subscribe((ev) => ev.kind === 'refused' && refused.push(ev));
      for (const s of [a, d]) await leaderEnd.sendSegment('f1', s);
      await replica.waitFor(40, { timeoutMs: 5_000 });
      for (const s of [flipBit(e, 8 * 40 + 3), otherShard, stale, g]) await leaderEnd.sendSegment('f1', s);
      // and a stranger's message on the subject, without our headers
      const { nc, jsm } = await rawClient();
      await jetstream(nc).publish(`${names.subjectPrefix}.0.shipments`, new Uint8Array([1, 2, 3]));
      await until(() => rejected.length >= 4 && refused.length >= 1, 'four rejections and a refused message', { timeoutMs: 5_000, pollMs: 5 });
      expect(codes(rejected)).toEqual(['Corruption', 'ConfigMismatch', 'Fenced', 'Gap']);
      expect(rejected.map((r) => r.segmentId)).toEqual([e.segmentId, otherShard.segmentId, stale.segmentId, g.segmentId]);
      expect(refused[0]).toMatchObject({ what: 'shipment', error: { code: 'Corruption', message: expect.stringMatching(/header Tidal-Version must be an integer >= 0, got missing/) } });
      expect(replica.lastSeq).toBe(40);
      const counters = replica.metrics.snapshot().counters;
      expect(counters).toMatchObject({
        'replication.rejections.Corruption': 2, 'replication.rejections.ConfigMismatch': 1, 'replication.rejections.Fenced': 1, 'replication.rejections.Gap': 1,
      });
      for (const s of [e, g]) await leaderEnd.sendSegment('f1', s); // after the stranger's message: the leader adopts its sequence
      await replica.waitFor(80, { timeoutMs: 5_000 });
      expect(snapshotOf(replica)).toEqual(snapshotOf(promoted));
      // Refused copies were terminated and good ones acked: nothing waits to be delivered again.
      const consumer = await eventually(() => jsm.consumers.info(names.stream, 'f1'), (info) => info.num_ack_pending === 0, 'every delivery settled');
      expect(consumer.num_redelivered).toBe(0);
    });
  });

  describe('JetStreamTransport: dedup and fencing', () => {
    it('a publish retried with the same message id is a duplicate: one copy on the stream, even when the retry expects a stale sequence', async () => {
      const db = await leaderDb();
      const segment = await sealedAfter(db, 30);
      const uniq = uniqueNames();
      await open(JetStreamTransport.leader({ servers: nats.url, db, ...uniq, ...FAST_JETSTREAM, ...SMALL_STREAM })); // makes the stream
      const { nc, jsm } = await rawClient();
      const names = jetStreamNames(uniq.subjectPrefix, 0, uniq.stream);
      const [m] = shipmentMessages(segment, { msgId: '0:0:1', epoch: 0, forPeer: null, publishedThrough: { before: 0, after: 30 }, partBytes: 1 << 20 });
      const empty = await readLogPosition(jsm, names);
      const first = await new FencedPublisher(jetstream(nc), jsm, names, empty, () => 0, 5_000).publish(m!);
      const retry = await new FencedPublisher(jetstream(nc), jsm, names, empty, () => 0, 5_000).publish(m!); // its ack was "lost"
      expect(first).toMatchObject({ duplicate: false, seq: 1 });
      expect(retry).toMatchObject({ duplicate: true, seq: 1 });
      expect((await jsm.streams.info(uniq.stream)).state.messages).toBe(1);
    });

    it('a restarted leader end reads the log\'s end from the stream and publishes nothing twice', async () => {
      const db = await leaderDb();
      const segment = await sealedAfter(db, 30);
      const names = uniqueNames();
      const options = { servers: nats.url, db, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM };
      const before = await JetStreamTransport.leader(options);
      await before.sendSegment('f1', segment);
      await before.close();
      const after = await open(JetStreamTransport.leader(options));
      expect(after.publishedThrough).toBe(30);
      await after.sendSegment('f2', segment);
      const { jsm } = await rawClient();
      expect((await jsm.streams.info(names.stream)).state.messages).toBe(1);
    });

    it('a deposed leader\'s publishes are refused: its sends fail Fenced, its end says fenced, it cannot open again; followers never see them', async () => {
      const names = uniqueNames();
      const old = await leaderDb();
      const oldEnd = await open(JetStreamTransport.leader({ servers: nats.url, db: old, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM }));
      const states: JetStreamLinkState[] = [];
      oldEnd.state$.subscribe((s) => states.push(s));
      const replica = await open(FollowerDb.open());
      const replicaEnd = await open(JetStreamTransport.follower({ servers: nats.url, db: replica, peer: 'f1', ...names, ...FAST_JETSTREAM }));
      const receiving = startFollower({ db: replica, transport: replicaEnd, peer: 'f1', feedbackIntervalMs: 50 });
      const shipping = startLeader({ db: old, transport: oldEnd, followers: ['f1'], shipIntervalMs: 20 });
      cleanup.push(() => receiving.stop(), () => shipping.stop());
      await replica.waitFor(await writeSignals(old, 50), { timeoutMs: 5_000 });
      const promoted = await open(FollowerDb.open());
      for await (const s of old.wal.sealedSegmentsSince(0)) await promoted.applySegment(s);
      await promoted.promote();
      const newEnd = await open(JetStreamTransport.leader({ servers: nats.url, db: promoted, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM }));
      await newEnd.sendSegment('f1', await sealedAfter(promoted, 10));
      await replica.waitFor(60, { timeoutMs: 5_000 });
      expect(replica.epoch).toBe(1);
      // The old leader writes on, past what the follower acks (60, from the new leader), and ships: refused.
      await writeSignals(old, 30, 20, 50);
      await until(() => states.includes('fenced'), 'the old leader end fenced', { timeoutMs: 5_000, pollMs: 5 });
      await until(() => (old.metrics.snapshot().counters['replication.shipFailures.Fenced'] ?? 0) > 0, 'a Fenced ship failure', { timeoutMs: 5_000, pollMs: 5 });
      await expect(oldEnd.sendSegment('f1', await sealedAfter(old, 5))).rejects.toMatchObject({ name: 'TidalError', code: 'Fenced' });
      await expect(JetStreamTransport.leader({ servers: nats.url, db: old, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM }))
        .rejects.toMatchObject({ code: 'Fenced', message: expect.stringMatching(/epoch 1, after this leader's epoch 0/) });
      await new Promise((r) => setTimeout(r, 200));
      expect(replica.lastSeq).toBe(60);
      expect(snapshotOf(replica)).toEqual(snapshotOf(promoted));
    });
  });

  describe('JetStreamTransport: segments larger than max_payload', () => {
    it('are cut into parts and put back together; one over maxShipmentBytes is refused at the leader naming the limit', async () => {
      const small = await NatsServer.start({ maxPayloadBytes: 16 * 1024 });
      cleanup.push(() => small.close());
      const c = await startJetStreamCluster(small, { followers: 2, shipIntervalMs: 1_000 });
      cleanup.push(() => c.stop());
      const shipped: ShipEvent[] = [];
      c.leaderHandle.shipped$.subscribe((e) => e.peer === 'f1' && shipped.push(e));
      await writeSignals(c.leader, 1); // a first small segment
      const last = await writeSignals(c.leader, 8_000, 2_000, 1);
      await Promise.all(c.followers.map((f) => f.waitFor(last, { timeoutMs: 10_000 })));
      for (const f of c.followers) expect(snapshotOf(f)).toEqual(snapshotOf(c.leader));
      const partBytes = 16 * 1024 - 4096;
      await until(() => shipped.some((e) => e.lastSeq === last), 'the leader to hear the last publish acked', { timeoutMs: 2_000, pollMs: 5 });
      expect(shipped.some((e) => e.bytes > partBytes)).toBe(true);
      const parts = shipped.reduce((n, e) => n + Math.max(1, Math.ceil(e.bytes / partBytes)), 0);
      await until(() => (c.leader.metrics.snapshot().counters['replication.streamMessages'] ?? 0) >= parts, 'every part acked', { timeoutMs: 2_000, pollMs: 5 });
      expect(c.leader.metrics.snapshot().counters['replication.streamMessages']).toBe(parts);
      const tooBig: WalSegmentPayload = { ...(await sealedAfter(c.leader, 1)), bytes: new Uint8Array(SMALL_STREAM.maxShipmentBytes + 1) };
      await expect(c.leaderEnd.sendSegment('f1', tooBig))
        .rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringMatching(/16777217 bytes, more than maxShipmentBytes \(16777216\)/) });
    });

    it('a server whose max_payload leaves no room is refused with ConfigMismatch', async () => {
      const tiny = await NatsServer.start({ maxPayloadBytes: 4096 });
      cleanup.push(() => tiny.close());
      const db = await leaderDb();
      await expect(JetStreamTransport.leader({ servers: tiny.url, db, ...uniqueNames(), ...FAST_JETSTREAM, ...SMALL_STREAM }))
        .rejects.toMatchObject({ code: 'ConfigMismatch', message: expect.stringMatching(/max_payload is 4096 bytes; the JetStream transport needs at least 8192/) });
    });
  });

  describe('JetStreamTransport: options and teardown', () => {
    it('refuses bad options with InvalidInput, naming them', async () => {
      const db = await leaderDb();
      const replica = await open(FollowerDb.open());
      const base = { servers: nats.url, db };
      await expect(JetStreamTransport.leader({ ...base, servers: [] })).rejects.toThrow(/servers must be a NATS URL or a non-empty array/);
      await expect(JetStreamTransport.leader({ ...base, db: replica })).rejects.toThrow(/needs the leader database/);
      await expect(JetStreamTransport.leader({ ...base, subjectPrefix: 'a.*' })).rejects.toThrow(/subjectPrefix must be dot-separated tokens/);
      await expect(JetStreamTransport.leader({ ...base, stream: 'a.b' })).rejects.toThrow(/stream must be 1..200 letters/);
      await expect(JetStreamTransport.leader({ ...base, maxStreamAgeMs: 1000, duplicateWindowMs: 2000 })).rejects.toThrow(/duplicateWindowMs \(2000\) must not exceed maxStreamAgeMs/);
      await expect(JetStreamTransport.leader({ ...base, capacity: 0 })).rejects.toThrow(/capacity must be an integer in 1/);
      await expect(JetStreamTransport.leader({ ...base, bogus: 1 } as never)).rejects.toThrow(/unknown option "bogus"/);
      await expect(JetStreamTransport.follower({ ...base, db: replica, peer: '' })).rejects.toThrow(/peer id "" must be 1..100 bytes/);
      await expect(JetStreamTransport.follower({ ...base, peer: 'f1' })).rejects.toThrow(/needs a follower database/);
    });

    it('each end offers only its own half of the transport', async () => {
      const c = await startJetStreamCluster(nats);
      cleanup.push(() => c.stop());
      for (const method of ['recvSegment', 'receive$', 'segments', 'sendFeedback', 'status']) expect(method in c.leaderEnd, method).toBe(false);
      for (const method of ['sendSegment', 'send$', 'feedback', 'sendStatus']) expect(method in c.followerEnds[0]!, method).toBe(false);
      await expect(c.followerEnds[0]!.recvSegment('f2')).rejects.toThrow(/this JetStream transport is follower "f1"/);
    });

    it('close() errors waiting sends and receives with Closed, completes the streams, and leaves no socket or timer behind', async () => {
      const before = liveHandles();
      const c = await startJetStreamCluster(nats);
      await c.followers[0]!.waitFor(await writeSignals(c.leader, 50), { timeoutMs: 5_000 });
      const waitingReceive = c.followerEnds[0]!.recvSegment('f1'); // nothing more comes: waits
      let completed = 0;
      c.leaderEnd.events$.subscribe({ complete: () => completed++ });
      c.followerEnds[0]!.state$.subscribe({ complete: () => completed++ });
      const states: JetStreamLinkState[] = [];
      c.leaderEnd.state$.subscribe((s) => states.push(s));
      await c.stop();
      await expect(waitingReceive).rejects.toMatchObject({ name: 'TidalError', code: 'Closed' });
      await expect(c.leaderEnd.sendSegment('f1', await sealedAfter(await leaderDb(), 1))).rejects.toMatchObject({ code: 'Closed' });
      expect(completed).toBe(2);
      expect(states.at(-1)).toBe('closed');
      await until(() => Object.entries(liveHandles()).every(([kind, n]) => n <= (before[kind] ?? 0)), 'no socket or timer left', { timeoutMs: 3_000, pollMs: 5 });
    });

    it('the process exits on its own after close (a child that never calls process.exit, with a follower end still reconnecting)', async () => {
      const child = compileExitChild();
      cleanup.push(() => fs.rmSync(child.dir, { recursive: true, force: true }));
      const run = spawn(process.execPath, [child.js], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TIDALDB_TEST_NATS_URL: nats.url } });
      cleanup.push(() => run.kill('SIGKILL'));
      let out = '';
      let err = '';
      run.stdout.on('data', (d) => (out += d));
      run.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((r) => run.once('exit', r));
      const code = await within(exited, 20_000, 'the child to exit on its own').catch((e: Error) => {
        throw new Error(`${e.message}; stdout: ${out}; stderr: ${err}`);
      });
      expect({ code, out, err }).toEqual({ code: 0, out: 'closed 200\n', err: '' });
    });
  });
}

/** Compiles test/support/jetStreamExit.ts (and what it imports) with the project's tsc into a private directory under .tmp/. */
function compileExitChild(): { dir: string; js: string } {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  fs.mkdirSync(path.join(root, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, '.tmp', 'jetStreamExit-'));
  const tsconfig = fileURLToPath(new URL('../../support/tsconfig.jetStreamExit.json', import.meta.url));
  const built = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--outDir', dir], { encoding: 'utf8' });
  const js = path.join(dir, 'test/support/jetStreamExit.js');
  // tsc emits even when an unrelated file has a type error (the typecheck reports those); only a missing output is fatal.
  if (!fs.existsSync(js)) throw new Error(`compiling the exit child failed (exit ${built.status}):\n${built.stdout}${built.stderr}`);
  return { dir, js };
}
