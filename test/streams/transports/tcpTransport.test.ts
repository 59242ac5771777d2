/**
 * TcpTransport over loopback (port 0): replication through startLeader /
 * startFollower unchanged, the handshake, frame faults, backpressure,
 * heartbeats, TLS and teardown.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Checksum, FollowerDb, TidalDb, type WalSegmentPayload, WalError } from '../../../src/index.js';
import { type ShipEvent, startFollower, startLeader, type TcpTlsOptions, TcpTransport, type TcpTransportEvent } from '../../../streams/index.js';
import { isCheckpoint } from '../../../streams/shipment.js';
import { HALF_LIVES, sealedSegment } from '../fixtures.js';
import { FAST, hello, liveHandles, nextEvent, rawClient, TOKEN, within } from './tcpFixtures.js';
import { fakeLeader, rawFollower } from './tcpPeers.js';
import { until } from '../../support/until.js';

/** Everything a test opens, closed after it whatever happened. */
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function leaderNode(opts: { followers: string[]; db?: TidalDb; capacity?: number }) {
  const db = opts.db ?? await TidalDb.open({ halfLifeMs: HALF_LIVES });
  const transport = await TcpTransport.listen({ port: 0, token: TOKEN, db, ...FAST, ...(opts.capacity && { capacity: opts.capacity }) });
  const events: TcpTransportEvent[] = [];
  transport.events$.subscribe((e) => events.push(e));
  const handle = startLeader({ db, transport, followers: opts.followers, shipIntervalMs: 20 });
  const shipped: ShipEvent[] = [];
  handle.shipped$.subscribe((e) => shipped.push(e));
  cleanup.push(() => db.close(), () => transport.close(), () => handle.stop());
  return { db, transport, handle, events, shipped };
}

async function followerNode(port: number, peer: string, opts: { token?: string; db?: TidalDb; capacity?: number; tls?: TcpTlsOptions } = {}) {
  const db = opts.db ?? await FollowerDb.open();
  const transport = await TcpTransport.connect({
    port, peer, token: opts.token ?? TOKEN, db, ...FAST, ...(opts.capacity && { capacity: opts.capacity }), ...(opts.tls && { tls: opts.tls }),
  });
  const events: TcpTransportEvent[] = [];
  transport.events$.subscribe((e) => events.push(e));
  const handle = startFollower({ db, transport, peer, feedbackIntervalMs: 50 });
  cleanup.push(() => db.close(), () => transport.close(), () => handle.stop());
  return { db, transport, handle, events };
}

async function writeViews(db: TidalDb, n: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < n; i++) last = await db.signal({ itemId: `item-${i % 13}`, type: 'view', weight: 1 + (i % 4), at: 1_000 + i });
  return last;
}

const stateOf = (db: TidalDb) => ({ lastSeq: db.lastSeq, views: db.retrieve({ signal: 'view', limit: 100, at: 10_000 }) });

describe('TcpTransport: replication over loopback', () => {
  it('runs startLeader and startFollower unchanged, leader to two followers', async () => {
    const leader = await leaderNode({ followers: ['f1', 'f2'] });
    expect(leader.transport.port).toBeGreaterThan(0);
    expect(leader.transport.host).toBe('127.0.0.1');
    const f1 = await followerNode(leader.transport.port, 'f1');
    const f2 = await followerNode(leader.transport.port, 'f2');
    const last = await writeViews(leader.db, 500);
    await Promise.all([f1.db.waitFor(last, { timeoutMs: 5_000 }), f2.db.waitFor(last, { timeoutMs: 5_000 })]);
    expect(stateOf(f1.db)).toEqual(stateOf(leader.db));
    expect(stateOf(f2.db)).toEqual(stateOf(leader.db));
    expect(leader.transport.connectedPeers.sort()).toEqual(['f1', 'f2']);
    expect(leader.events.filter((e) => e.kind === 'connected').map((e) => e.kind === 'connected' && e.peer).sort()).toEqual(['f1', 'f2']);
    expect(await firstValueFrom(f1.transport.connected$)).toBe(true);
    // Acks come back over the wire: the leader's lag reaches 0 for both.
    await until(() => leader.db.metrics.snapshot().replicationLag['f1'] === 0 && leader.db.metrics.snapshot().replicationLag['f2'] === 0, 'both followers at lag 0', { pollMs: 5 });
    // Status announcements arrive: the follower knows how fresh it is.
    await until(() => f1.db.stalenessMs() < 5_000, 'f1 fresh', { pollMs: 5 });
  });
});

describe('TcpTransport: the handshake', () => {
  it('refuses a follower that cannot prove the token with AuthFailed, having sent it nothing but a nonce; the good follower keeps being served', async () => {
    const leader = await leaderNode({ followers: ['good', 'bad'] });
    const good = await followerNode(leader.transport.port, 'good');
    const first = await writeViews(leader.db, 50);
    await good.db.waitFor(first, { timeoutMs: 5_000 });

    const raw = await rawFollower(leader.transport.port, 'bad', { token: 'not-the-token-0123456789' });
    await within(raw.closed, 2_000, 'the leader to close the bad connection');
    expect(raw.messages).toEqual([
      { t: 'challenge', v: 2, nonce: expect.any(Uint8Array) },
      { t: 'refuse', reason: 'peer "bad" could not prove it knows the token', code: 'AuthFailed' },
    ]);

    const replica = await FollowerDb.open();
    cleanup.push(() => replica.close());
    await expect(TcpTransport.connect({ port: leader.transport.port, peer: 'bad', token: 'wrong-token-0123456789', db: replica, ...FAST }))
      .rejects.toMatchObject({ code: 'AuthFailed', message: 'leader refused this follower: peer "bad" could not prove it knows the token' });
    const last = await writeViews(leader.db, 50);
    await good.db.waitFor(last, { timeoutMs: 5_000 });
    expect(stateOf(good.db)).toEqual(stateOf(leader.db));
    expect(replica.lastSeq).toBe(0);
    expect(replica.metrics.snapshot().counters['replication.authFailures.refused']).toBe(1);
    expect(leader.shipped.filter((e) => e.peer === 'bad')).toEqual([]);
    expect(leader.transport.connectedPeers).toEqual(['good']);
    expect(leader.events.filter((e) => e.kind === 'closed' && e.peer === 'good')).toEqual([]);
    expect(leader.events.filter((e) => e.kind === 'closed' && /refused: .*could not prove it knows the token/.test(e.reason))).toHaveLength(2);
    expect(leader.db.metrics.snapshot().counters['replication.authFailures.badProof']).toBe(2);
  });

  it('refuses a follower of another shard, and a first frame that is not a hello (sending nothing)', async () => {
    const leader = await leaderNode({ followers: [] });
    const otherShard = await rawFollower(leader.transport.port, 'f1', { shardId: 9 });
    await within(otherShard.closed, 2_000, 'a refusal');
    expect(otherShard.messages.at(-1)).toEqual({ t: 'refuse', reason: expect.stringMatching(/holds shard 9, this leader shard 0/), code: 'ConfigMismatch' });
    const noHello = await rawClient(leader.transport.port);
    noHello.sendMessage({ t: 'heartbeat', atMs: 1 });
    await within(noHello.closed, 2_000, 'a close');
    expect(noHello.messages).toEqual([]);
    expect(leader.events.some((e) => e.kind === 'closed' && /expected a hello first/.test(e.reason))).toBe(true);
  });

  it('a follower refuses a leader whose epoch is lower than its own, and keeps retrying', async () => {
    const leader = await leaderNode({ followers: ['f1'] });
    await writeViews(leader.db, 20);
    const db = await FollowerDb.open();
    Object.defineProperty(db, 'epoch', { value: 5, configurable: true });
    const f1 = await followerNode(leader.transport.port, 'f1', { db });
    const refused = await nextEvent(f1.transport.events$, (e) => e.kind === 'closed');
    expect(refused).toMatchObject({ reason: expect.stringMatching(/refused: leader is in epoch 0, behind this follower's epoch 5/) });
    expect(refused.kind === 'closed' && refused.error).toMatchObject({ code: 'Fenced' });
    await nextEvent(f1.transport.events$, (e) => e.kind === 'reconnecting');
    await nextEvent(leader.transport.events$, (e) => e.kind === 'closed' && /follower refused this leader/.test(e.reason));
    expect(f1.db.lastSeq).toBe(0);
  });
});

describe('TcpTransport: a bad frame closes only its own connection', () => {
  it('garbage bytes, a 4 GiB length prefix, a bad body and a truncated frame each close just that connection', async () => {
    const leader = await leaderNode({ followers: ['good'] });
    const good = await followerNode(leader.transport.port, 'good');
    await good.db.waitFor(await writeViews(leader.db, 30), { timeoutMs: 5_000 });

    const attacks: Array<[string, Uint8Array, RegExp]> = [
      ['garbage', Buffer.from('GET / HTTP/1.1\r\nHost: tidal\r\n\r\n'), /exceeds maxFrameBytes \(65536\)/],
      ['4 GiB length', Buffer.from([0xff, 0xff, 0xff, 0xff]), /frame length 4294967295 bytes exceeds maxFrameBytes/],
      ['bad body', Buffer.from([5, 0, 0, 0, 0xc1, 0xff, 0x00, 0x13, 0x37]), /not one msgpack value|not a map/],
      ['truncated', Buffer.concat([Buffer.from([100, 0, 0, 0]), Buffer.alloc(10, 7)]), /ended inside a frame, 14 bytes of it received/],
    ];
    for (const [what, bytes, reason] of attacks) {
      const raw = await rawClient(leader.transport.port);
      const closedEvent = nextEvent(leader.transport.events$, (e) => e.kind === 'closed' && e.peer === null);
      if (what === 'truncated') raw.socket.end(bytes);
      else raw.send(bytes);
      await within(raw.closed, 2_000, `the leader to close the ${what} connection`);
      const event = await closedEvent;
      expect(event.kind === 'closed' && event.error, what).toBeInstanceOf(WalError);
      expect(event.kind === 'closed' && event.error?.message, what).toMatch(reason);
      expect(raw.messages, what).toEqual([]);
    }
    // A truncated frame from a peer that then goes quiet: found by the handshake deadline.
    const quiet = await rawClient(leader.transport.port);
    quiet.send(Buffer.from([100, 0, 0, 0, 1, 2]));
    await within(quiet.closed, 2_000, 'the handshake deadline');
    // After the handshake, the full limit applies, and a bad frame still closes only that connection.
    const trusted = await rawFollower(leader.transport.port, 'raw');
    await trusted.welcomed;
    expect(trusted.messages[1]).toEqual({ t: 'welcome', v: 2, epoch: 0, proof: expect.any(Uint8Array) });
    trusted.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await within(trusted.closed, 2_000, 'the leader to close the trusted connection');
    expect(leader.events.some((e) => e.kind === 'closed' && e.peer === 'raw' && /exceeds maxFrameBytes \(67108864\)/.test(e.reason))).toBe(true);

    const last = await writeViews(leader.db, 30);
    await good.db.waitFor(last, { timeoutMs: 5_000 });
    expect(stateOf(good.db)).toEqual(stateOf(leader.db));
    expect(leader.events.filter((e) => e.kind === 'closed' && e.peer === 'good')).toEqual([]);
    expect(good.events.filter((e) => e.kind === 'closed')).toEqual([]);
  });

  it('a leader that sends garbage (in an authenticated frame) is dropped by the follower, which reconnects', async () => {
    const fake = await fakeLeader({ afterWelcome: (link) => setTimeout(() => link.sendBody(Uint8Array.of(0xc1, 0xc1, 0xc1)), 20) });
    cleanup.push(() => fake.close());
    const f1 = await followerNode(fake.port, 'f1');
    const closed = await nextEvent(f1.transport.events$, (e) => e.kind === 'closed');
    expect(closed.kind === 'closed' && closed.error).toBeInstanceOf(WalError);
    await until(() => fake.hellos() >= 2, 'a second hello', { pollMs: 5 });
    await until(() => f1.events.some((e) => e.kind === 'reconnecting'), 'a reconnect', { pollMs: 5 });
  });
});

describe('TcpTransport: heartbeats', () => {
  it('the leader drops a follower that goes silent within deadAfterMs + heartbeatMs', async () => {
    const leader = await leaderNode({ followers: [] });
    const raw = await rawFollower(leader.transport.port, 'quiet');
    await raw.welcomed;
    await until(() => leader.transport.connectedPeers.includes('quiet'), 'quiet to connect', { pollMs: 5 });
    const since = Date.now();
    const event = await nextEvent(leader.transport.events$, (e) => e.kind === 'closed' && e.peer === 'quiet');
    const tookMs = Date.now() - since;
    expect(event.kind === 'closed' && event.error).toMatchObject({ code: 'Timeout' });
    expect(tookMs).toBeGreaterThanOrEqual(FAST.deadAfterMs - FAST.heartbeatMs);
    expect(tookMs).toBeLessThan(FAST.deadAfterMs + FAST.heartbeatMs + 500);
    expect(raw.messages.some((m) => m.t === 'heartbeat')).toBe(true);
    await within(raw.closed, 1_000, 'the socket to close');
  });

  it('a follower whose leader falls silent closes the connection and reconnects', async () => {
    const fake = await fakeLeader(); // welcomes, and then never a heartbeat
    cleanup.push(() => fake.close());
    const f1 = await followerNode(fake.port, 'f1');
    expect(f1.transport.firstAttempt).toMatchObject({ kind: 'connected' });
    const closed = await nextEvent(f1.transport.events$, (e) => e.kind === 'closed');
    expect(closed.kind === 'closed' && closed.error).toMatchObject({ code: 'Timeout' });
    await until(() => fake.hellos() >= 2, 'a second hello', { pollMs: 5 });
  });
});

describe('TcpTransport: reconnecting', () => {
  it('backs off further each time a leader drops the connection right after its welcome', async () => {
    const fake = await fakeLeader({ afterWelcome: (link) => link.socket.end() });
    cleanup.push(() => fake.close());
    const f1 = await followerNode(fake.port, 'f1');
    await until(() => f1.events.filter((e) => e.kind === 'reconnecting').length >= 4, 'four reconnects', { pollMs: 5 });
    const attempts = f1.events.flatMap((e) => (e.kind === 'reconnecting' ? [e.attempt] : []));
    expect(attempts.slice(0, 4)).toEqual([0, 1, 2, 3]); // a welcome alone is not a success: it must stay up deadAfterMs
    expect(f1.events.filter((e) => e.kind === 'connected').length).toBeGreaterThanOrEqual(2);
  });
});

describe('TcpTransport: backpressure', () => {
  it('a follower that takes nothing stops reading; the leader\'s sends wait; nothing is dropped or reordered', async () => {
    const db = await TidalDb.open();
    const leader = await TcpTransport.listen({ port: 0, token: TOKEN, db, capacity: 2, ...FAST });
    const replica = await FollowerDb.open();
    const follower = await TcpTransport.connect({ port: leader.port, peer: 'f1', token: TOKEN, db: replica, capacity: 2, ...FAST });
    cleanup.push(() => db.close(), () => replica.close(), () => leader.close(), () => follower.close());
    const closes: TcpTransportEvent[] = [];
    leader.events$.subscribe((e) => e.kind === 'closed' && closes.push(e));
    follower.events$.subscribe((e) => e.kind === 'closed' && closes.push(e));
    await firstValueFrom(follower.connected$.pipe(filter(Boolean), timeout(2_000)));

    const segments = Array.from({ length: 40 }, (_, i) => bigSegment(i + 1, 1 << 20)); // 40 MiB: past any socket buffer
    let sent = 0;
    const sending = (async () => {
      for (const s of segments) {
        await leader.sendSegment('f1', s);
        sent++;
      }
    })();
    await new Promise((r) => setTimeout(r, 2 * FAST.deadAfterMs)); // past deadAfterMs: neither side may call the other dead
    expect(sent).toBeLessThan(segments.length);
    expect(follower.buffered).toBeLessThanOrEqual(2);
    const stalledAt = sent;
    await new Promise((r) => setTimeout(r, 100));
    expect(sent).toBe(stalledAt);

    const received: number[] = [];
    for (let i = 0; i < segments.length; i++) {
      const s = await within(follower.recvSegment('f1'), 5_000, `segment ${i + 1}`);
      if (isCheckpoint(s)) throw new Error('a checkpoint where a segment was expected');
      received.push(s.firstSeq);
      expect(s.checksum.equals(segments[i]!.checksum)).toBe(true);
    }
    await sending;
    expect(received).toEqual(segments.map((s) => s.firstSeq));
    expect(closes).toEqual([]);
  });

  it('a segment larger than maxFrameBytes fails its send with InvalidInput, naming the limit', async () => {
    const db = await TidalDb.open();
    const leader = await TcpTransport.listen({ port: 0, token: TOKEN, db, maxFrameBytes: 64 * 1024, ...FAST });
    const replica = await FollowerDb.open();
    const follower = await TcpTransport.connect({ port: leader.port, peer: 'f1', token: TOKEN, db: replica, ...FAST });
    cleanup.push(() => db.close(), () => replica.close(), () => leader.close(), () => follower.close());
    await firstValueFrom(follower.connected$.pipe(filter(Boolean), timeout(2_000)));
    await expect(leader.sendSegment('f1', bigSegment(1, 100_000))).rejects.toMatchObject({
      code: 'InvalidInput', message: expect.stringMatching(/outside 1..maxFrameBytes \(65536, with 24 bytes of seq and MAC\)/),
    });
  });
});

/** A self-signed certificate for 127.0.0.1 made by openssl now, or null (with why) when openssl is missing. */
function selfSignedCert(): { dir: string; cert: string; key: string } | { skip: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'pipe' });
    return { dir, cert, key };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { skip: `openssl could not make a self-signed certificate here (${(err as Error).message.split('\n')[0]})` };
  }
}

const tlsCert = selfSignedCert();

describe('TcpTransport: TLS', () => {
  it.skipIf('skip' in tlsCert)(`replicates over TLS with a self-signed certificate${'skip' in tlsCert ? ` [skipped: ${tlsCert.skip}]` : ''}`, async () => {
    if ('skip' in tlsCert) return;
    cleanup.push(() => fs.rmSync(tlsCert.dir, { recursive: true, force: true }));
    const db = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db, tls: { cert: tlsCert.cert, key: tlsCert.key }, ...FAST });
    const shipping = startLeader({ db, transport: listener, followers: ['f1', 'untrusting'], shipIntervalMs: 20 });
    cleanup.push(() => db.close(), () => listener.close(), () => shipping.stop());
    const replica = await FollowerDb.open();
    const link = await TcpTransport.connect({
      port: listener.port, peer: 'f1', token: TOKEN, db: replica, tls: { ca: fs.readFileSync(tlsCert.cert) }, ...FAST,
    });
    const receiving = startFollower({ db: replica, transport: link, peer: 'f1', feedbackIntervalMs: 50 });
    cleanup.push(() => replica.close(), () => link.close(), () => receiving.stop());
    const last = await writeViews(db, 200);
    await replica.waitFor(last, { timeoutMs: 5_000 });
    expect(stateOf(replica)).toEqual(stateOf(db));

    // Without the CA, the follower does not trust the leader: AuthFailed, no handshake, no segment.
    const untrusting = await FollowerDb.open();
    cleanup.push(() => untrusting.close());
    await expect(TcpTransport.connect({ port: listener.port, peer: 'untrusting', token: TOKEN, db: untrusting, tls: {}, ...FAST }))
      .rejects.toMatchObject({ code: 'AuthFailed', message: expect.stringMatching(/^TLS: .*self[- ]signed/i) });
    expect(untrusting.lastSeq).toBe(0);
    // A plain-TCP client is dropped by the TLS listener; the TLS follower is unharmed.
    const plain = await rawClient(listener.port);
    plain.sendMessage(hello('plain'));
    await within(plain.closed, 2_000, 'the TLS listener to drop a plain client');
    expect(plain.messages).toEqual([]);
    await replica.waitFor(await writeViews(db, 20), { timeoutMs: 5_000 });
  });
});

describe('TcpTransport: options and teardown', () => {
  it('binds to 127.0.0.1 unless host says otherwise', async () => {
    const db = await TidalDb.open();
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db });
    cleanup.push(() => db.close(), () => listener.close());
    expect(listener.address).toBe('127.0.0.1');
  });

  it('refuses bad options with InvalidInput, naming them', async () => {
    const leaderDb = await TidalDb.open();
    const followerDb = await FollowerDb.open();
    cleanup.push(() => leaderDb.close(), () => followerDb.close());
    await expect(TcpTransport.listen({ port: 0, token: '', db: leaderDb })).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringMatching(/token/) });
    await expect(TcpTransport.listen({ port: 0, token: TOKEN, db: followerDb })).rejects.toThrowError(/listen needs the leader database/);
    await expect(TcpTransport.listen({ port: 70_000, token: TOKEN, db: leaderDb })).rejects.toThrowError(/port must be an integer in 0..65535, got 70000/);
    await expect(TcpTransport.listen({ port: 0, token: TOKEN, db: leaderDb, heartbeatMs: 100, deadAfterMs: 100 })).rejects.toThrowError(/deadAfterMs/);
    await expect(TcpTransport.listen({ port: 0, token: TOKEN, db: leaderDb, tls: { cert: Buffer.from('x') } })).rejects.toThrowError(/cert and tls.key go together/);
    await expect(TcpTransport.listen({ port: 0, token: TOKEN, db: leaderDb, tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }))
      .rejects.toThrowError(/tls.cert: cannot read "\/nonexistent\/cert.pem"/);
    await expect(TcpTransport.connect({ port: 1, peer: 'f', token: TOKEN, db: leaderDb })).rejects.toThrowError(/connect needs a follower database/);
    await expect(TcpTransport.connect({ port: 1, peer: '', token: TOKEN, db: followerDb })).rejects.toThrowError(/peer must be a non-empty string/);
    await expect(TcpTransport.connect({ port: 1, peer: 'f', token: TOKEN, db: followerDb, retries: 3 } as never)).rejects.toThrowError(/unknown option "retries"/);
  });

  it('each end offers only its own half of the transport: no method that cannot work', async () => {
    const db = await TidalDb.open();
    const replica = await FollowerDb.open();
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db });
    const link = await TcpTransport.connect({ port: listener.port, peer: 'f1', token: TOKEN, db: replica });
    cleanup.push(() => db.close(), () => replica.close(), () => listener.close(), () => link.close());
    for (const method of ['recvSegment', 'receive$', 'segments', 'sendFeedback', 'status']) expect(method in listener, method).toBe(false);
    for (const method of ['sendSegment', 'send$', 'feedback', 'sendStatus']) expect(method in link, method).toBe(false);
    await expect(link.recvSegment('f2')).rejects.toThrowError(/this TCP transport is follower "f1"/);
  });

  it('close() errors waiting sends and receives with Closed, and leaves no socket, server or timer behind', async () => {
    const before = liveHandles();
    const db = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const replica = await FollowerDb.open();
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db, ...FAST });
    const link = await TcpTransport.connect({ port: listener.port, peer: 'f1', token: TOKEN, db: replica, ...FAST });
    const shipping = startLeader({ db, transport: listener, followers: ['f1'], shipIntervalMs: 20 });
    const receiving = startFollower({ db: replica, transport: link, peer: 'f1', feedbackIntervalMs: 50 });
    await replica.waitFor(await writeViews(db, 50), { timeoutMs: 5_000 });
    const segment = await sealedSegment(db, 5);
    const waitingSend = listener.sendSegment('nobody', segment); // never connects: waits
    const waitingReceive = link.recvSegment('f1'); // nothing more is shipped: waits
    const events: TcpTransportEvent[] = [];
    let completed = 0;
    link.events$.subscribe({ next: (e) => events.push(e), complete: () => completed++ });
    listener.events$.subscribe({ complete: () => completed++ });
    shipping.stop();
    receiving.stop();
    await Promise.all([link.close(), listener.close()]);
    await expect(waitingSend).rejects.toMatchObject({ name: 'TidalError', code: 'Closed' });
    await expect(waitingReceive).rejects.toMatchObject({ name: 'TidalError', code: 'Closed' });
    await expect(listener.sendSegment('f1', segment)).rejects.toMatchObject({ code: 'Closed' });
    expect(completed).toBe(2);
    expect(events.at(-1)).toMatchObject({ kind: 'closed', reason: 'the transport is closed' });
    await db.close();
    await replica.close();
    await until(() => noMoreThan(before), 'no handles left over', { timeoutMs: 2_000, pollMs: 5 });
  });

  it('the process exits on its own after close (a child process that never calls process.exit)', async () => {
    const child = compileExitChild();
    const run = spawn(process.execPath, [child.js], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(() => run.kill('SIGKILL'), () => fs.rmSync(child.dir, { recursive: true, force: true }));
    let out = '';
    let err = '';
    run.stdout.on('data', (d) => (out += d));
    run.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => run.once('exit', r));
    const code = await within(exited, 15_000, 'the child to exit on its own').catch((e: Error) => {
      throw new Error(`${e.message}; stdout: ${out}; stderr: ${err}`);
    });
    expect({ code, out, err }).toEqual({ code: 0, out: 'closed 200\n', err: '' });
  });

  it('a follower closed while it waits to reconnect leaves nothing behind', async () => {
    const before = liveHandles();
    const replica = await FollowerDb.open();
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r)); // nobody listens there now
    const link = await TcpTransport.connect({ port, peer: 'f1', token: TOKEN, db: replica, ...FAST });
    await nextEvent(link.events$, (e) => e.kind === 'reconnecting');
    await link.close();
    await replica.close();
    await until(() => noMoreThan(before), 'no handles left over', { timeoutMs: 2_000, pollMs: 5 });
  });
});

/** Compiles fixtures/tcpExit.ts (and what it imports) with the project's tsc into a private directory under .tmp/. */
function compileExitChild(): { dir: string; js: string } {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  fs.mkdirSync(path.join(root, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, '.tmp', 'tcpExit-'));
  const tsconfig = fileURLToPath(new URL('./fixtures/tsconfig.tcpExit.json', import.meta.url));
  const built = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--outDir', dir], { encoding: 'utf8' });
  const js = path.join(dir, 'test/streams/transports/fixtures/tcpExit.js');
  // tsc emits even when an unrelated file has a type error (the typecheck reports those); only a missing output is fatal.
  if (!fs.existsSync(js)) throw new Error(`compiling the exit child failed (exit ${built.status}):\n${built.stdout}${built.stderr}`);
  return { dir, js };
}

/** True when no kind of live handle outnumbers `baseline` (the runner may hold a timer of its own). */
function noMoreThan(baseline: Record<string, number>): boolean {
  return Object.entries(liveHandles()).every(([kind, n]) => n <= (baseline[kind] ?? 0));
}


function bigSegment(seq: number, bytes: number): WalSegmentPayload {
  const body = Buffer.alloc(bytes, seq & 0xff);
  return { shardId: 0, segmentId: seq, firstSeq: seq, lastSeq: seq, sealedAtMs: 0, bytes: body, checksum: Checksum.of(body) };
}
