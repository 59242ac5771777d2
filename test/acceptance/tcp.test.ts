/**
 * The network transport's acceptance criteria, one describe each, in real
 * time over loopback TCP (port 0): replication through startLeader /
 * startFollower unchanged, the token check, frame faults confined to their
 * connection, a leader restart, and a follower restart.
 */
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { FollowerDb, metricsText, TidalDb, WalError } from '../../src/index.js';
import { type ShipEvent, startFollower, startLeader, TcpTransport, type TcpTransportEvent } from '../../streams/index.js';
import { encodeMessage } from '../../streams/transports/tcpMessages.js';
import { HALF_LIVES, snapshotOf, startCluster, tempDir, until, writeItems, writeSignals } from './harness.js';

const TOKEN = 'acceptance-token';
const HEARTBEAT_MS = 250; // dead after 3 × this: slow enough that a loaded CI machine never trips it by accident

/** A raw client that says whatever it is told; `closed` resolves when the leader closes it; `received` counts bytes the leader sent. */
async function rawClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => { /* a reset is one way of being closed */ });
  let received = 0;
  socket.on('data', (d: Buffer) => (received += d.length));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, received: () => received };
}

describe('TcpTransport runs startLeader/startFollower unchanged: full replication from a leader to two followers over TCP', () => {
  it('both followers serve exactly what the leader serves', async () => {
    const c = await startCluster({ followers: 2, tcp: { token: TOKEN } });
    await writeItems(c.leader, 100);
    const last = await writeSignals(c.leader, 3_000);
    await Promise.all(c.followers.map((f) => f.waitFor(last, { timeoutMs: 10_000 })));
    for (const f of c.followers) expect(snapshotOf(f)).toEqual(snapshotOf(c.leader));
    await until(() => c.leader.metrics.snapshot().replicationLag['f2'] === 0, 'acks over TCP', { timeoutMs: 5_000, pollMs: 5 });
    await c.stop();
  });
});

describe('A wrong token is refused (AuthFailed) before any segment leaves the leader, while the good follower keeps being served', () => {
  it('refuses the impostor on every attempt and ships it nothing', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, heartbeatMs: HEARTBEAT_MS });
    const shipped: ShipEvent[] = [];
    const events: TcpTransportEvent[] = [];
    listener.events$.subscribe((e) => events.push(e));
    const shipping = startLeader({ db: leader, transport: listener, followers: ['good', 'impostor'], shipIntervalMs: 30 });
    shipping.shipped$.subscribe((e) => shipped.push(e));
    const good = await FollowerDb.open();
    const goodLink = await TcpTransport.connect({ port: listener.port, peer: 'good', token: TOKEN, db: good, heartbeatMs: HEARTBEAT_MS });
    const goodHandle = startFollower({ db: good, transport: goodLink, peer: 'good', feedbackIntervalMs: 50 });
    const impostor = await FollowerDb.open();

    await writeItems(leader, 50);
    const last = await writeSignals(leader, 1_000);
    for (let attempt = 0; attempt < 2; attempt++) { // protocol v2: the impostor proves nothing, and connect says so
      await expect(TcpTransport.connect({ port: listener.port, peer: 'impostor', token: 'a-guess-at-the-token', db: impostor, heartbeatMs: HEARTBEAT_MS }))
        .rejects.toMatchObject({ code: 'AuthFailed', message: 'leader refused this follower: peer "impostor" could not prove it knows the token' });
    }
    await good.waitFor(last, { timeoutMs: 10_000 });

    expect(snapshotOf(good)).toEqual(snapshotOf(leader));
    expect(impostor.lastSeq).toBe(0);
    expect(shipped.filter((e) => e.peer === 'impostor')).toEqual([]);
    expect(shipped.some((e) => e.peer === 'good')).toBe(true);
    expect(listener.connectedPeers).toEqual(['good']);
    expect(events.filter((e) => e.kind === 'connected' && e.peer === 'impostor')).toEqual([]);
    expect(events.filter((e) => e.kind === 'closed' && e.peer === 'good')).toEqual([]);
    // and the metrics say so: failed authentications by reason on the leader, and on the impostor
    expect(leader.metrics.snapshot().counters['replication.connectionsClosed.AuthFailed']).toBe(2);
    expect(leader.metrics.snapshot().counters['replication.authFailures.badProof']).toBe(2);
    expect(leader.metrics.snapshot().counters['replication.connections']).toBeGreaterThanOrEqual(1);
    expect(impostor.metrics.snapshot().counters['replication.authFailures.refused']).toBe(2);

    shipping.stop(); goodHandle.stop();
    await Promise.all([goodLink.close(), listener.close()]);
    await Promise.all([leader.close(), good.close(), impostor.close()]);
  });
});

describe('Every follower in the set is visible from the moment the leader starts: one that never connected shows state \'never-connected\' and lag > 0', () => {
  it('over TCP, in lag$, metrics.snapshot().followers and Prometheus, while the follower that did connect streams', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const followers = ['present', 'absent'];
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, followers, heartbeatMs: HEARTBEAT_MS });
    const shipping = startLeader({ db: leader, transport: listener, followers, shipIntervalMs: 30 });
    let lag: Record<string, { state: string; events: number; appliedSeq: number }> = {};
    shipping.lag$.subscribe((l) => (lag = l as typeof lag));
    const present = await FollowerDb.open();
    const link = await TcpTransport.connect({ port: listener.port, peer: 'present', token: TOKEN, db: present, heartbeatMs: HEARTBEAT_MS });
    const receiving = startFollower({ db: present, transport: link, peer: 'present', feedbackIntervalMs: 50 });

    const last = await writeSignals(leader, 500);
    await present.waitFor(last, { timeoutMs: 10_000 });
    await until(() => lag['present']?.state === 'streaming' && lag['absent']?.events === last, 'lag$ to show both followers', { timeoutMs: 5_000, pollMs: 5 });
    expect(lag['absent']).toMatchObject({ state: 'never-connected', events: last, appliedSeq: 0 });
    expect(lag['absent']!.events).toBeGreaterThan(0);
    expect(leader.metrics.snapshot().followers['absent']).toMatchObject({ state: 'never-connected', events: last });
    const text = await metricsText(leader);
    expect(text).toMatch(/^tidaldb_replication_follower_state\{peer="absent",state="never-connected"\} 1$/m);
    expect(text).toMatch(new RegExp(`^tidaldb_replication_lag_events\\{peer="absent"\\} ${last}$`, 'm'));

    shipping.stop(); receiving.stop();
    await Promise.all([link.close(), listener.close()]);
    await Promise.all([leader.close(), present.close()]);
  });
});

describe('Garbage bytes, a 4 GiB length prefix and a truncated frame each close only the bad connection', () => {
  it('closes each bad connection with a Corruption reason; the followers never notice', async () => {
    const c = await startCluster({ followers: 2, tcp: { token: TOKEN } });
    const listener = c.transport as Awaited<ReturnType<typeof TcpTransport.listen>>;
    const events: TcpTransportEvent[] = [];
    listener.events$.subscribe((e) => events.push(e));
    const first = await writeSignals(c.leader, 500);
    await Promise.all(c.followers.map((f) => f.waitFor(first, { timeoutMs: 10_000 })));

    const garbage = await rawClient(listener.port);
    garbage.socket.write(Buffer.from('\x16\x03\x01 this is not a tidaldb frame at all'));
    const huge = await rawClient(listener.port);
    huge.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const truncated = await rawClient(listener.port);
    truncated.socket.end(Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00]), encodeMessage({ t: 'heartbeat', atMs: 1 }, 1024)]));
    const badBody = await rawClient(listener.port);
    badBody.socket.write(Buffer.from([4, 0, 0, 0, 0x93, 0x01, 0x02, 0x03])); // a msgpack array, not a message
    await Promise.all([garbage.closed, huge.closed, truncated.closed, badBody.closed]);
    for (const raw of [garbage, huge, truncated, badBody]) expect(raw.received()).toBe(0);

    await until(() => events.filter((e) => e.kind === 'closed').length >= 4, 'four closes reported', { timeoutMs: 2_000, pollMs: 5 });
    const reasons = events.filter((e): e is Extract<TcpTransportEvent, { kind: 'closed' }> => e.kind === 'closed');
    for (const e of reasons) {
      expect(e.peer).toBeNull();
      expect(e.error).toBeInstanceOf(WalError);
      expect((e.error as WalError).code).toBe('Corruption');
    }
    expect(reasons.map((e) => e.error!.message).join('\n')).toMatch(/frame length 4294967295 bytes exceeds maxFrameBytes/);
    expect(reasons.map((e) => e.error!.message).join('\n')).toMatch(/ended inside a frame/);
    expect(reasons.map((e) => e.error!.message).join('\n')).toMatch(/not a map/);

    const last = await writeSignals(c.leader, 500, 100, 500);
    await Promise.all(c.followers.map((f) => f.waitFor(last, { timeoutMs: 10_000 })));
    for (const f of c.followers) expect(snapshotOf(f)).toEqual(snapshotOf(c.leader));
    expect(listener.connectedPeers.sort()).toEqual(['f1', 'f2']);
    await c.stop();
  });
});

describe('A follower reconnects after the leader\'s listener restarts, and converges with identical state', () => {
  it('the leader closes and reopens from its dir on the same port; the follower resumes from its mark', async () => {
    const dir = tempDir('tcp-leader-restart');
    let leader = await TidalDb.open({ dir, halfLifeMs: HALF_LIVES });
    let listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, heartbeatMs: HEARTBEAT_MS });
    const port = listener.port;
    let shipping = startLeader({ db: leader, transport: listener, followers: ['f1'], shipIntervalMs: 30 });
    const replica = await FollowerDb.open();
    const link = await TcpTransport.connect({ port, peer: 'f1', token: TOKEN, db: replica, heartbeatMs: HEARTBEAT_MS });
    const linkEvents: TcpTransportEvent[] = [];
    link.events$.subscribe((e) => linkEvents.push(e));
    const receiving = startFollower({ db: replica, transport: link, peer: 'f1', feedbackIntervalMs: 50 });
    await writeItems(leader, 50);
    const before = await writeSignals(leader, 1_000);
    await replica.waitFor(before, { timeoutMs: 10_000 });

    shipping.stop();
    await listener.close();
    await leader.close();
    await until(() => linkEvents.some((e) => e.kind === 'reconnecting'), 'the follower to start reconnecting', { timeoutMs: 5_000, pollMs: 5 });
    expect(replica.search({ text: 'tidal', limit: 5 }).length).toBeGreaterThan(0); // reads go on meanwhile

    leader = await TidalDb.open({ dir, halfLifeMs: HALF_LIVES });
    expect(leader.lastSeq).toBe(before);
    listener = await TcpTransport.listen({ port, token: TOKEN, db: leader, heartbeatMs: HEARTBEAT_MS });
    shipping = startLeader({ db: leader, transport: listener, followers: ['f1'], shipIntervalMs: 30 });
    const shipped: ShipEvent[] = [];
    shipping.shipped$.subscribe((e) => shipped.push(e));
    const after = await writeSignals(leader, 1_000, 100, 1_000);
    await replica.waitFor(after, { timeoutMs: 15_000 });

    expect(shipped[0]!.firstSeq).toBe(before + 1); // from the follower's mark: not from 1, not only new segments
    expect(link.firstAttempt).toMatchObject({ kind: 'connected' }); // connect resolved once welcomed
    expect(linkEvents.filter((e) => e.kind === 'connected')).toHaveLength(1); // and once more after the restart
    expect(snapshotOf(replica)).toEqual(snapshotOf(leader));

    shipping.stop(); receiving.stop();
    await Promise.all([link.close(), listener.close()]);
    await Promise.all([leader.close(), replica.close()]);
  });
});

describe('A follower killed and restarted resumes from its own mark', () => {
  it('reopens from its dir, says where it is in its hello, and gets only what it lacks', async () => {
    const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, heartbeatMs: HEARTBEAT_MS });
    const shipping = startLeader({ db: leader, transport: listener, followers: ['f1'], shipIntervalMs: 30 });
    const shipped: ShipEvent[] = [];
    shipping.shipped$.subscribe((e) => shipped.push(e));
    const fdir = tempDir('tcp-follower-restart');

    let replica = await FollowerDb.open({ dir: fdir });
    let link = await TcpTransport.connect({ port: listener.port, peer: 'f1', token: TOKEN, db: replica, heartbeatMs: HEARTBEAT_MS });
    let receiving = startFollower({ db: replica, transport: link, peer: 'f1', feedbackIntervalMs: 50 });
    await writeItems(leader, 50);
    const first = await writeSignals(leader, 1_000);
    await replica.waitFor(first, { timeoutMs: 10_000 });

    receiving.stop(); // killed: its transport goes with it
    await link.close();
    const mark = replica.lastSeq;
    await replica.close();
    await until(() => !listener.connectedPeers.includes('f1'), 'the leader to see the follower gone', { timeoutMs: 5_000, pollMs: 5 });
    const last = await writeSignals(leader, 1_000, 100, 1_000);

    replica = await FollowerDb.open({ dir: fdir });
    expect(replica.lastSeq).toBe(mark);
    const shippedBeforeRestart = shipped.length;
    link = await TcpTransport.connect({ port: listener.port, peer: 'f1', token: TOKEN, db: replica, heartbeatMs: HEARTBEAT_MS });
    receiving = startFollower({ db: replica, transport: link, peer: 'f1', feedbackIntervalMs: 50 });
    await replica.waitFor(last, { timeoutMs: 15_000 });

    expect(shipped[shippedBeforeRestart]!.firstSeq).toBe(mark + 1);
    expect(replica.metrics.snapshot().gauges['replay.segmentsSkipped'] ?? 0).toBe(0); // nothing it already had came again
    expect(snapshotOf(replica)).toEqual(snapshotOf(leader));

    shipping.stop(); receiving.stop();
    await Promise.all([link.close(), listener.close()]);
    await Promise.all([leader.close(), replica.close()]);
  });
});

describe('Over TCP, a follower too far behind what the leader retains receives the latest checkpoint first, then the segments after it', () => {
  it('bootstraps a late follower with no operator step and ends identical', async () => {
    const leader = await TidalDb.open({ dir: tempDir('tcp-catchup'), halfLifeMs: HALF_LIVES, wal: { sync: 'none', maxRetainedBytes: 4_000 } });
    for (let i = 0; i < 10; i++) {
      await writeSignals(leader, 100, 50, i * 100);
      await leader.wal.seal();
    }
    await leader.checkpoint();
    expect(leader.wal.sealedSegments[0]!.firstSeq).toBeGreaterThan(1);
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, heartbeatMs: HEARTBEAT_MS });
    const shipping = startLeader({ db: leader, transport: listener, followers: ['late'], shipIntervalMs: 30 });
    const kinds: string[] = [];
    shipping.shipped$.subscribe((e) => kinds.push(e.kind));
    const follower = await FollowerDb.open({ dir: tempDir('tcp-late') });
    const link = await TcpTransport.connect({ port: listener.port, peer: 'late', token: TOKEN, db: follower, heartbeatMs: HEARTBEAT_MS });
    const receiving = startFollower({ db: follower, transport: link, peer: 'late', feedbackIntervalMs: 50 });
    const last = await writeSignals(leader, 100, 50, 1_000);
    await follower.waitFor(last, { timeoutMs: 10_000 });
    expect(kinds[0]).toBe('checkpoint');
    expect(snapshotOf(follower)).toEqual(snapshotOf(leader));
    shipping.stop(); receiving.stop();
    await link.close(); await listener.close();
    await leader.close(); await follower.close();
  });
});

describe('Promotion over TCP: a follower that has seen the new epoch refuses the old leader', () => {
  it('will not connect to a deposed leader, and the old leader ships it nothing', async () => {
    const promoted = await FollowerDb.open();
    await promoted.promote(); // leads epoch 1
    await writeSignals(promoted, 10);
    const follower = await FollowerDb.open();
    await follower.applySegment((await promoted.wal.seal())!);
    expect(follower.epoch).toBe(1);
    const old = await TidalDb.open({ halfLifeMs: HALF_LIVES }); // epoch 0, back from the dead
    await writeSignals(old, 50);
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: old, heartbeatMs: HEARTBEAT_MS });
    const shipping = startLeader({ db: old, transport: listener, followers: ['f'], shipIntervalMs: 20 });
    const link = await TcpTransport.connect({ port: listener.port, peer: 'f', token: TOKEN, db: follower, heartbeatMs: HEARTBEAT_MS });
    const events: TcpTransportEvent[] = [];
    link.events$.subscribe((e) => events.push(e));
    const receiving = startFollower({ db: follower, transport: link, peer: 'f', feedbackIntervalMs: 50 });
    await until(() => events.some((e) => e.kind === 'closed' && (e.error as { code?: string } | undefined)?.code === 'Fenced'), 'the refusal', { timeoutMs: 5_000, pollMs: 5 });
    expect(follower.lastSeq).toBe(10);
    expect(events.some((e) => e.kind === 'connected')).toBe(false);
    shipping.stop(); receiving.stop();
    await link.close(); await listener.close();
  });
});
