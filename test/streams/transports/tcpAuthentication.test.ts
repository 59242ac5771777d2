/**
 * Mutual authentication (issue 12), with real sockets on loopback: the
 * token never crosses the wire; a leader that cannot prove it knows the
 * token is refused with AuthFailed before any segment is accepted; a
 * captured handshake replayed later is refused, in either direction; a
 * peer of the old protocol is refused with ConfigMismatch naming both
 * versions; and the leader tells a failed peer nothing more than before.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../../src/index.js';
import { startFollower, startLeader, TcpTransport, type TcpTransportEvent } from '../../../streams/index.js';
import { deriveAuthKey } from '../../../streams/transports/handshakeProof.js';
import { encodeMessage, segmentMessage, type TcpMessage } from '../../../streams/transports/tcpMessages.js';
import { HALF_LIVES, sealedSegment } from '../fixtures.js';
import { FAST, rawClient, TOKEN, within } from './tcpFixtures.js';
import { fakeLeader } from './tcpPeers.js';
import { tcpProxy } from './tcpProxy.js';
import { until } from '../../support/until.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});


async function replicaDb() {
  const db = await FollowerDb.open();
  cleanup.push(() => db.close());
  return db;
}

async function leader(followers: string[]) {
  const db = await TidalDb.open({ halfLifeMs: HALF_LIVES });
  const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db, followers, ...FAST });
  const events: TcpTransportEvent[] = [];
  listener.events$.subscribe((e) => events.push(e));
  const handle = startLeader({ db, transport: listener, followers, shipIntervalMs: 20 });
  cleanup.push(() => db.close(), () => listener.close(), () => handle.stop());
  for (let i = 0; i < 30; i++) await db.signal({ itemId: `item-${i % 5}`, type: 'view', at: 1_000 + i });
  return { db, listener, events };
}

/** Every way the token could show up in bytes: as text, hex, base64, and the key derived from it. */
function secretsIn(bytes: Buffer): string[] {
  const forms = [Buffer.from(TOKEN), Buffer.from(Buffer.from(TOKEN).toString('hex')), Buffer.from(Buffer.from(TOKEN).toString('base64')), deriveAuthKey(TOKEN)];
  return forms.filter((f) => bytes.includes(f)).map((f) => f.toString('hex'));
}

describe('The token never crosses the wire', () => {
  it('a listener that is not the leader, recording everything the follower sends, receives no secret', async () => {
    const recorded: Buffer[] = [];
    const sockets = new Set<net.Socket>();
    const listener = net.createServer((s) => { // says nothing: the follower sends all it would before an answer
      sockets.add(s);
      s.on('error', () => {});
      s.on('data', (d: Buffer) => recorded.push(Buffer.from(d)));
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => listener.close(r)), () => sockets.forEach((s) => s.destroy()));
    const link = await TcpTransport.connect({ port: (listener.address() as net.AddressInfo).port, peer: 'replica-1', token: TOKEN, db: await replicaDb(), ...FAST });
    cleanup.push(() => link.close());
    const everything = Buffer.concat(recorded);
    expect(everything.length).toBeGreaterThan(0); // the hello was sent…
    expect(everything.includes(Buffer.from('replica-1'))).toBe(true);
    expect(secretsIn(everything)).toEqual([]); // …and it holds no secret
  });

  it('a fake leader that even gets the follower\'s proof and sealed frames sees no secret in them', async () => {
    const fake = await fakeLeader();
    cleanup.push(() => fake.close());
    const db = await replicaDb();
    const link = await TcpTransport.connect({ port: fake.port, peer: 'replica-1', token: TOKEN, db, ...FAST });
    const receiving = startFollower({ db, transport: link, peer: 'replica-1', feedbackIntervalMs: 20 });
    cleanup.push(() => link.close(), () => receiving.stop());
    await new Promise((r) => setTimeout(r, 300)); // heartbeats and feedback, sealed
    const everything = Buffer.concat(fake.received.flat());
    expect(everything.length).toBeGreaterThan(200);
    expect(secretsIn(everything)).toEqual([]);
  });
});

describe('A follower refuses a leader that cannot prove it knows the token', () => {
  it('a rogue leader without the token is refused with AuthFailed before any segment; nothing is applied', async () => {
    const source = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    cleanup.push(() => source.close());
    const segment = await sealedSegment(source, 10); // a well-formed segment with a valid checksum: only its origin is forged
    const rogue = await fakeLeader({ token: 'not-the-cluster-token-at-all', afterWelcome: (link) => link.send(segmentMessage(segment)) });
    cleanup.push(() => rogue.close());
    const db = await replicaDb();
    await expect(TcpTransport.connect({ port: rogue.port, peer: 'replica-1', token: TOKEN, db, ...FAST })).rejects.toMatchObject({
      code: 'AuthFailed', message: `127.0.0.1:${rogue.port} could not prove it knows the token: not the leader (or its token differs); nothing it sends is accepted`,
    });
    expect(db.lastSeq).toBe(0);
    expect(db.metrics.snapshot().counters['replication.authFailures.leaderProof']).toBe(1);
  });

  it('after a first good connection, a leader that cannot prove the token is refused on every reconnect, reported on events$', async () => {
    // The first connection proves the token and is then dropped; every later one is an impostor on the same address.
    const fake = await fakeLeader({
      token: (connection) => (connection === 0 ? TOKEN : 'not-the-cluster-token-at-all'),
      afterWelcome: (link) => setTimeout(() => link.socket.destroy(), 50),
    });
    cleanup.push(() => fake.close());
    const db = await replicaDb();
    const link = await TcpTransport.connect({ port: fake.port, peer: 'replica-1', token: TOKEN, db, ...FAST });
    cleanup.push(() => link.close());
    expect(link.firstAttempt).toMatchObject({ kind: 'connected' });
    const events: TcpTransportEvent[] = [];
    link.events$.subscribe((e) => events.push(e));
    const refused = (e: TcpTransportEvent) => e.kind === 'closed' && (e.error as { code?: string } | undefined)?.code === 'AuthFailed';
    await until(() => events.filter(refused).length >= 2, 'two refused reconnects');
    expect(events.filter((e) => e.kind === 'connected')).toEqual([]);
    expect(db.metrics.snapshot().counters['replication.authFailures.leaderProof']).toBeGreaterThanOrEqual(2);
  });
});

describe('A captured handshake replayed later is refused', () => {
  it('towards the leader: a recorded hello and proof are refused with AuthFailed (its challenge is new)', async () => {
    const { listener, events, db } = await leader(['replica-1']);
    const proxy = await tcpProxy(listener.port);
    cleanup.push(() => proxy.close());
    const replica = await replicaDb();
    const link = await TcpTransport.connect({ port: proxy.port, peer: 'replica-1', token: TOKEN, db: replica, ...FAST });
    cleanup.push(() => link.close());
    const [helloFrame, proofFrame] = proxy.links[0]!.seen.toLeader;
    await link.close(); // the recorded connection is gone; its handshake is replayed on a new one

    const replay = await rawClient(listener.port);
    replay.send(helloFrame!);
    await until(() => replay.messages.length === 1, 'the challenge');
    expect(replay.messages[0]).toMatchObject({ t: 'challenge' });
    replay.send(proofFrame!);
    await within(replay.closed, 2_000, 'the leader to close the replayed handshake');
    expect(replay.messages[1]).toEqual({ t: 'refuse', reason: 'peer "replica-1" could not prove it knows the token', code: 'AuthFailed' });
    expect(events.filter((e) => e.kind === 'connected')).toHaveLength(1); // the original connection only
    expect(db.metrics.snapshot().counters['replication.authFailures.badProof']).toBe(1);
  });

  it('towards a follower: a recorded challenge, welcome and segments replayed by a fake leader are refused with AuthFailed; nothing is applied', async () => {
    const { listener, db } = await leader(['replica-1']);
    const proxy = await tcpProxy(listener.port);
    cleanup.push(() => proxy.close());
    const first = await replicaDb();
    const link = await TcpTransport.connect({ port: proxy.port, peer: 'replica-1', token: TOKEN, db: first, ...FAST });
    const receiving = startFollower({ db: first, transport: link, peer: 'replica-1', feedbackIntervalMs: 20 });
    await first.waitFor(db.lastSeq, { timeoutMs: 5_000 });
    receiving.stop();
    await link.close();
    const recorded = proxy.links[0]!.seen.toFollower; // challenge, welcome, then sealed segments, status, heartbeats

    const replayer = await fakeLeader({ script: { onHello: () => [recorded[0]!], onProof: () => recorded.slice(1) } });
    cleanup.push(() => replayer.close());
    const second = await replicaDb();
    await expect(TcpTransport.connect({ port: replayer.port, peer: 'replica-1', token: TOKEN, db: second, ...FAST }))
      .rejects.toMatchObject({ code: 'AuthFailed', message: expect.stringMatching(/could not prove it knows the token/) });
    expect(second.lastSeq).toBe(0);
  });
});

describe('A peer of the old protocol is refused with ConfigMismatch naming both versions', () => {
  it('a v1 follower (token in its hello) is refused before anything, and the leader never reads the token', async () => {
    const { listener, events } = await leader(['replica-1']);
    const old = await rawClient(listener.port);
    old.sendMessage({ t: 'hello', v: 1, peer: 'replica-1', token: TOKEN, shardId: 0, epoch: 0, appliedSeq: 0 } as unknown as TcpMessage);
    await within(old.closed, 2_000, 'the refusal');
    expect(old.messages).toEqual([{
      t: 'refuse', code: 'ConfigMismatch', reason: 'a follower speaks protocol v1, this leader v2: run the same tidaldb version on both',
    }]);
    const closed = events.find((e) => e.kind === 'closed');
    expect(JSON.stringify(closed)).not.toContain(TOKEN);
  });

  it('a v1 leader\'s welcome: the follower refuses it with ConfigMismatch (connect rejects)', async () => {
    const sockets = new Set<net.Socket>();
    const v1 = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.once('data', () => s.write(encodeMessage({ t: 'welcome', v: 1, epoch: 0 } as unknown as TcpMessage, 1 << 20)));
    });
    await new Promise<void>((r) => v1.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => v1.close(r)), () => sockets.forEach((s) => s.destroy()));
    await expect(TcpTransport.connect({ port: (v1.address() as net.AddressInfo).port, peer: 'f1', token: TOKEN, db: await replicaDb(), ...FAST }))
      .rejects.toMatchObject({ code: 'ConfigMismatch', message: 'the leader speaks protocol v1, this follower v2: run the same tidaldb version on both' });
  });
});
