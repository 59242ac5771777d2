/**
 * Issue 11, "bad input and faults": a shipment with a bad checksum, of
 * another shard, of an older epoch, or past a gap is refused over JetStream
 * exactly as over TCP. The same segments go, in the same order, through a
 * TCP leader end to a TCP follower and through a JetStream leader end (a
 * real nats-server) to a JetStream follower; each follower runs
 * `startFollower` unchanged. What each refuses (rejected$: code, segment,
 * seqnos), what it counts (replication.rejections.*), what it applies, and
 * how it converges once good copies follow must be the same.
 * Skips, saying how to install it, without nats-server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, type TidalDbOptions, type WalSegmentPayload } from '../../../src/index.js';
import {
  type FollowerTransport, JetStreamTransport, type SegmentRejection, startFollower, TcpTransport,
} from '../../../streams/index.js';
import { flipBit } from '../../../streams/transports/faultInjectingTransport.js';
import { HALF_LIVES, snapshotOf, until, writeSignals } from '../../acceptance/harness.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from '../../bench/jetStreamServer.js';
import { FAST_JETSTREAM, SMALL_STREAM, uniqueNames } from '../../support/jetStreamCluster.js';
import { FAST, TOKEN } from './tcpFixtures.js';

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

async function sealedAfter(db: TidalDb, n: number): Promise<WalSegmentPayload> {
  await writeSignals(db, n, 20, db.lastSeq);
  const sealed = await db.wal.seal();
  if (!sealed) throw new Error('nothing sealed');
  return sealed;
}

/** The leader end's one method this test uses, and the follower end. */
interface Link {
  sendSegment(peer: string, segment: WalSegmentPayload): Promise<void>;
  readonly follower: FollowerTransport;
}

type OpenLink = (leader: TidalDb, replica: TidalDb) => Promise<Link>;

const overTcp: OpenLink = async (leader, replica) => {
  const listener = await open(TcpTransport.listen({ port: 0, token: TOKEN, db: leader, ...FAST }));
  const follower = await open(TcpTransport.connect({ port: listener.port, peer: 'f1', token: TOKEN, db: replica, ...FAST }));
  return { sendSegment: (peer, s) => listener.sendSegment(peer, s), follower };
};

const overJetStream: OpenLink = async (leader, replica) => {
  const names = uniqueNames();
  const leaderEnd = await open(JetStreamTransport.leader({ servers: nats.url, db: leader, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM }));
  const follower = await open(JetStreamTransport.follower({ servers: nats.url, db: replica, peer: 'f1', ...names, ...FAST_JETSTREAM }));
  return { sendSegment: (peer, s) => leaderEnd.sendSegment(peer, s), follower };
};

/** What a follower did with the bad segments and then the good copies. */
interface Outcome {
  readonly rejected: ReadonlyArray<{ code: string; kind: string; segmentId: number | null; firstSeq: number; lastSeq: number }>;
  readonly counters: Record<string, number>;
  readonly lastSeqAfterBad: number;
  readonly converged: boolean;
}

async function leaderDb(options: TidalDbOptions = {}): Promise<TidalDb> {
  return open(TidalDb.open({ halfLifeMs: HALF_LIVES, ...options }));
}

/**
 * A promoted leader (epoch 1 from seqno 21) ships 1..40; then a copy of
 * 41..60 with one bit flipped, a segment of shard 1, the deposed epoch-0
 * leader's 41..60, and 61..80 (a gap: 41..60 never applied); then the good
 * 41..60 and 61..80.
 */
async function refusals(openLink: OpenLink): Promise<Outcome> {
  const old = await leaderDb();
  const a = await sealedAfter(old, 20);
  const promoted = await open(FollowerDb.open());
  await promoted.applySegment(a);
  await promoted.promote();
  const d = await sealedAfter(promoted, 20);
  await sealedAfter(old, 20);
  const stale = await sealedAfter(old, 20);
  const e = await sealedAfter(promoted, 20);
  const g = await sealedAfter(promoted, 20);
  const otherShard = await sealedAfter(await leaderDb({ shardId: 1 }), 20);
  const replica = await open(FollowerDb.open());
  const link = await openLink(promoted, replica);
  const handle = startFollower({ db: replica, transport: link.follower, peer: 'f1', feedbackIntervalMs: 50 });
  cleanup.push(() => handle.stop());
  const rejected: SegmentRejection[] = [];
  handle.rejected$.subscribe((r) => rejected.push(r));
  for (const s of [a, d]) await link.sendSegment('f1', s);
  await replica.waitFor(40, { timeoutMs: 5_000 });
  for (const s of [flipBit(e, 8 * 40 + 3), otherShard, stale, g]) await link.sendSegment('f1', s);
  await until(() => rejected.length >= 4, 'four rejections', { timeoutMs: 5_000, pollMs: 5 });
  const lastSeqAfterBad = replica.lastSeq;
  const counters = Object.fromEntries(Object.entries(replica.metrics.snapshot().counters).filter(([k]) => k.startsWith('replication.rejections')));
  for (const s of [e, g]) await link.sendSegment('f1', s);
  await replica.waitFor(80, { timeoutMs: 5_000 });
  return {
    rejected: rejected.map((r) => ({
      code: (r.error as { code?: string }).code ?? r.error.name, kind: r.kind, segmentId: r.segmentId, firstSeq: r.firstSeq, lastSeq: r.lastSeq,
    })),
    counters, lastSeqAfterBad, converged: JSON.stringify(snapshotOf(replica)) === JSON.stringify(snapshotOf(promoted)),
  };
}

if (!NATS_SERVER_AVAILABLE) {
  describe('JetStream refuses what TCP refuses', () => it.skip(NATS_SKIP_REASON, () => {}));
} else {
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.close();
  });

  describe('JetStream refuses what TCP refuses', () => {
    it('a bad checksum, a wrong shard, an older epoch and a gap: the same rejections, counters and convergence over both transports', async () => {
      const tcp = await refusals(overTcp);
      for (const c of cleanup.splice(0).reverse()) await c();
      const jetStream = await refusals(overJetStream);
      expect(tcp.rejected.map((r) => r.code)).toEqual(['Corruption', 'ConfigMismatch', 'Fenced', 'Gap']);
      expect(tcp.counters).toMatchObject({
        'replication.rejections.Corruption': 1, 'replication.rejections.ConfigMismatch': 1, 'replication.rejections.Fenced': 1, 'replication.rejections.Gap': 1,
      });
      expect(tcp.lastSeqAfterBad).toBe(40);
      expect(tcp.converged).toBe(true);
      expect(jetStream).toEqual(tcp);
    });
  });
}
