/**
 * Misconfiguration is loud (issue 8), over loopback TCP: an unknown peer id,
 * a duplicate peer id, and a port that is not a tidaldb leader each fail
 * `TcpTransport.connect` with a typed error that says what is wrong; a
 * reconnect after the old connection really died still gets in.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb, TidalError } from '../../../src/index.js';
import { startFollower, startLeader, TcpTransport, type TcpTransportEvent } from '../../../streams/index.js';
import { HALF_LIVES } from '../fixtures.js';
import { FAST, liveHandles, nextEvent, TOKEN, within } from './tcpFixtures.js';
import { tcpProxy } from './tcpProxy.js';
import { until } from '../../support/until.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function leaderNode(followers: string[]) {
  const db = await TidalDb.open({ halfLifeMs: HALF_LIVES });
  const transport = await TcpTransport.listen({ port: 0, token: TOKEN, db, followers, ...FAST });
  const events: TcpTransportEvent[] = [];
  transport.events$.subscribe((e) => events.push(e));
  const handle = startLeader({ db, transport, followers, shipIntervalMs: 20 });
  cleanup.push(() => db.close(), () => transport.close(), () => handle.stop());
  return { db, transport, handle, events };
}

async function followerNode(port: number, peer: string) {
  const db = await FollowerDb.open();
  cleanup.push(() => db.close());
  const transport = await TcpTransport.connect({ port, peer, token: TOKEN, db, ...FAST });
  const events: TcpTransportEvent[] = [];
  transport.events$.subscribe((e) => events.push(e));
  const handle = startFollower({ db, transport, peer, feedbackIntervalMs: 50 });
  cleanup.push(() => transport.close(), () => handle.stop());
  return { db, transport, handle, events };
}

async function writeViews(db: TidalDb, n: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < n; i++) last = await db.signal({ itemId: `item-${i % 7}`, type: 'view', at: 1_000 + i });
  return last;
}


/** A plain TCP server that answers whatever it is sent with `reply`, then closes. */
async function fakeServer(reply: Buffer): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => socket.end(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)), () => sockets.forEach((s) => s.destroy()));
  return (server.address() as net.AddressInfo).port;
}

describe('An unknown peer: the leader refuses a peer id that is not in its follower set', () => {
  it('connect rejects with UnknownPeer naming the id and the set; nothing is shipped to it; the listed follower is served', async () => {
    const leader = await leaderNode(['replica-1']);
    const good = await followerNode(leader.transport.port, 'replica-1');
    const replica = await FollowerDb.open();
    cleanup.push(() => replica.close());
    const before = liveHandles();
    const refused = await TcpTransport.connect({ port: leader.transport.port, peer: 'replica-9', token: TOKEN, db: replica, ...FAST }).then(
      () => null, (err: unknown) => err);
    expect(refused).toBeInstanceOf(TidalError);
    expect(refused).toMatchObject({
      code: 'UnknownPeer',
      message: 'leader refused this follower: peer id "replica-9" is not in this leader\'s follower set (it ships to "replica-1")',
    });
    // connect left nothing running behind it: no reconnect timer, no socket
    await until(() => Object.entries(liveHandles()).every(([kind, n]) => n <= (before[kind] ?? 0)), 'the refused link to leave nothing behind', { timeoutMs: 2_000 });
    const last = await writeViews(leader.db, 20);
    await good.db.waitFor(last, { timeoutMs: 5_000 });
    expect(replica.lastSeq).toBe(0);
    expect(leader.transport.connectedPeers).toEqual(['replica-1']);
    expect(leader.events.some((e) => e.kind === 'closed' && (e.error as TidalError | undefined)?.code === 'UnknownPeer')).toBe(true);
    expect(leader.db.metrics.snapshot().counters['replication.connectionsClosed.UnknownPeer']).toBe(1);
  });

  it('the token is checked first: a peer without it is told nothing about the follower set', async () => {
    const leader = await leaderNode(['replica-1']);
    const replica = await FollowerDb.open();
    cleanup.push(() => replica.close());
    const refused = await TcpTransport.connect({ port: leader.transport.port, peer: 'replica-9', token: 'not-the-token-at-all', db: replica, ...FAST })
      .then(() => null, (err: unknown) => err);
    expect(refused).toMatchObject({ code: 'AuthFailed', message: expect.not.stringMatching(/follower set|replica-1/) });
  });
});

describe('A duplicate peer id: a second live connection under an id is refused with PeerInUse', () => {
  it('connect rejects, naming the address that holds it; the first connection keeps working', async () => {
    const leader = await leaderNode(['replica-1']);
    const first = await followerNode(leader.transport.port, 'replica-1');
    await first.db.waitFor(await writeViews(leader.db, 20), { timeoutMs: 5_000 });
    const held = leader.events.find((e) => e.kind === 'connected');
    const twin = await FollowerDb.open();
    cleanup.push(() => twin.close());
    const refused = await TcpTransport.connect({ port: leader.transport.port, peer: 'replica-1', token: TOKEN, db: twin, ...FAST }).then(
      () => null, (err: unknown) => err);
    expect(refused).toMatchObject({
      code: 'PeerInUse',
      message: expect.stringContaining(`peer id "replica-1" is already connected from ${held?.kind === 'connected' ? held.remote : '?'}`),
    });
    const last = await writeViews(leader.db, 20);
    await first.db.waitFor(last, { timeoutMs: 5_000 });
    expect(first.events.filter((e) => e.kind === 'closed')).toEqual([]);
    expect(leader.events.filter((e) => e.kind === 'closed' && e.peer === 'replica-1')).toEqual([]);
    expect(twin.lastSeq).toBe(0);
  });

  it('a connection that really died (silent, no FIN) is replaced: its follower reconnects and catches up', async () => {
    const leader = await leaderNode(['replica-1']);
    const proxy = await tcpProxy(leader.transport.port);
    cleanup.push(() => proxy.close());
    const f = await followerNode(proxy.port, 'replica-1');
    await f.db.waitFor(await writeViews(leader.db, 20), { timeoutMs: 5_000 });
    proxy.links[0]!.freeze(); // both sockets stay open; nothing passes either way
    const last = await writeViews(leader.db, 20);
    await within(f.db.waitFor(last, { timeoutMs: 10_000 }), 10_000, 'the follower to reconnect past the dead connection');
    expect(proxy.links.length).toBeGreaterThanOrEqual(2);
    expect(f.events.some((e) => e.kind === 'closed' && (e.error as TidalError | undefined)?.code === 'Timeout')).toBe(true);
    expect(leader.events.some((e) => e.kind === 'closed' && e.peer === 'replica-1' && (e.error as TidalError | undefined)?.code === 'Timeout')).toBe(true);
  });
});

describe('A port that is not a tidaldb leader gets a message that says exactly that', () => {
  it('an HTTP server: connect rejects with NotTidalDb, "answered like an HTTP server", not a frame-length error', async () => {
    const port = await fakeServer(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    const replica = await FollowerDb.open();
    cleanup.push(() => replica.close());
    const refused = await TcpTransport.connect({ port, peer: 'f1', token: TOKEN, db: replica, ...FAST }).then(() => null, (err: unknown) => err);
    expect(refused).toMatchObject({
      code: 'NotTidalDb',
      message: `127.0.0.1:${port} is not a tidaldb leader: it answered like an HTTP server ("HTTP/1.1 400 Bad Request")`,
    });
  });

  it('a server that answers with bytes that are no frame at all: NotTidalDb', async () => {
    const port = await fakeServer(Buffer.from([0xff, 0xff, 0xff, 0x7f, 0x00]));
    const replica = await FollowerDb.open();
    cleanup.push(() => replica.close());
    await expect(TcpTransport.connect({ port, peer: 'f1', token: TOKEN, db: replica, ...FAST })).rejects.toMatchObject({
      code: 'NotTidalDb', message: expect.stringMatching(/is not a tidaldb leader: it sent something that is not a tidaldb frame \(frame length/),
    });
  });

  it('a server that says nothing: a Timeout that asks whether it is a tidaldb leader (and connect resolves, retrying)', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => silent.close(r)), () => sockets.forEach((s) => s.destroy()));
    const replica = await FollowerDb.open();
    cleanup.push(() => replica.close());
    const link = await TcpTransport.connect({ port: (silent.address() as net.AddressInfo).port, peer: 'f1', token: TOKEN, db: replica, ...FAST });
    cleanup.push(() => link.close());
    expect(link.firstAttempt).toMatchObject({ kind: 'closed', error: { code: 'Timeout', message: expect.stringMatching(/it sent nothing; is it a tidaldb leader/) } });
    await nextEvent(link.events$, (e) => e.kind === 'reconnecting' || e.kind === 'closed');
  });
});
