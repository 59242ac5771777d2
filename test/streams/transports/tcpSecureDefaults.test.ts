/**
 * Secure defaults (issue 12): a short token is refused; a listener off
 * loopback without TLS needs `insecure: true` and then warns; mutual TLS
 * refuses a follower certificate signed by the wrong CA, an expired one and
 * a missing one (each counted as a failed authentication); and replication
 * over mutual TLS, with the handshake bound to the TLS channel, works.
 */
import * as fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../../src/index.js';
import { startFollower, startLeader, TcpTransport, type TcpTransportEvent } from '../../../streams/index.js';
import { isLoopbackHost } from '../../../streams/transports/isLoopbackHost.js';
import { HALF_LIVES } from '../fixtures.js';
import { FAST, TOKEN } from './tcpFixtures.js';
import { tlsFiles } from './tlsCertificates.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('Tokens shorter than 16 bytes are refused', () => {
  it('by listen and by connect, with InvalidInput saying how long it must be', async () => {
    const leaderDb = await TidalDb.open();
    const followerDb = await FollowerDb.open();
    cleanup.push(() => leaderDb.close(), () => followerDb.close());
    const short = 'fifteen-bytes!!';
    expect(Buffer.byteLength(short)).toBe(15);
    await expect(TcpTransport.listen({ port: 0, token: short, db: leaderDb })).rejects.toMatchObject({
      code: 'InvalidInput', message: 'token must be at least 16 bytes, got 15: use a random secret (e.g. `openssl rand -hex 16`)',
    });
    await expect(TcpTransport.connect({ port: 1, peer: 'f1', token: short, db: followerDb })).rejects.toMatchObject({ code: 'InvalidInput' });
    const listener = await TcpTransport.listen({ port: 0, token: `${short}!`, db: leaderDb });
    cleanup.push(() => listener.close());
  });
});

describe('Listening on a non-loopback address without TLS needs insecure: true, and then warns', () => {
  it('refuses 0.0.0.0 without TLS; with insecure: true it listens and says why it should not', async () => {
    const db = await TidalDb.open();
    cleanup.push(() => db.close());
    await expect(TcpTransport.listen({ host: '0.0.0.0', port: 0, token: TOKEN, db })).rejects.toMatchObject({
      code: 'InvalidInput', message: expect.stringMatching(/^listening on 0\.0\.0\.0 without TLS would let anyone on the network path read the replicated data: pass tls: .* or insecure: true/),
    });
    const open = await TcpTransport.listen({ host: '0.0.0.0', port: 0, token: TOKEN, db, insecure: true });
    cleanup.push(() => open.close());
    expect(open.warnings).toEqual([expect.stringMatching(/^listening on 0\.0\.0\.0 without TLS \(insecure\): frames are authenticated but the data travels in clear/)]);
    const loopback = await TcpTransport.listen({ port: 0, token: TOKEN, db });
    cleanup.push(() => loopback.close());
    expect(loopback.warnings).toEqual([]);
  });

  it('isLoopbackHost: 127/8, ::1 and localhost only', () => {
    for (const h of ['127.0.0.1', '127.9.8.7', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'db-leader', '::ffff:10.0.0.1', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

const tls = tlsFiles();
afterAll(() => {
  if (!('skip' in tls)) fs.rmSync(tls.dir, { recursive: true, force: true });
});

describe.skipIf('skip' in tls)(`Mutual TLS${'skip' in tls ? ` [skipped: ${tls.skip}]` : ''}`, () => {
  async function mtlsLeader() {
    if ('skip' in tls) throw new Error(tls.skip);
    const db = await TidalDb.open({ halfLifeMs: HALF_LIVES });
    const listener = await TcpTransport.listen({
      host: '127.0.0.1', port: 0, token: TOKEN, db, followers: ['f1'], tls: { cert: tls.leaderCert, key: tls.leaderKey, ca: tls.ca }, ...FAST,
    });
    const events: TcpTransportEvent[] = [];
    listener.events$.subscribe((e) => events.push(e));
    const handle = startLeader({ db, transport: listener, followers: ['f1'], shipIntervalMs: 20 });
    cleanup.push(() => db.close(), () => listener.close(), () => handle.stop());
    return { db, listener, events };
  }

  it('a follower with a certificate signed by the leader\'s CA replicates (the proofs are bound to the TLS channel)', async () => {
    if ('skip' in tls) return;
    const { db, listener } = await mtlsLeader();
    const replica = await FollowerDb.open();
    const link = await TcpTransport.connect({
      port: listener.port, peer: 'f1', token: TOKEN, db: replica, tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey }, ...FAST,
    });
    const receiving = startFollower({ db: replica, transport: link, peer: 'f1', feedbackIntervalMs: 20 });
    cleanup.push(() => replica.close(), () => link.close(), () => receiving.stop());
    let last = 0;
    for (let i = 0; i < 100; i++) last = await db.signal({ itemId: `item-${i % 9}`, type: 'view', at: 1_000 + i });
    await replica.waitFor(last, { timeoutMs: 5_000 });
    expect(replica.retrieve({ signal: 'view', limit: 20, at: 5_000 })).toEqual(db.retrieve({ signal: 'view', limit: 20, at: 5_000 }));
  });

  const refusals: Array<[string, () => { cert?: string; key?: string }]> = [
    ['a client certificate signed by the wrong CA', () => ('skip' in tls ? {} : { cert: tls.strangerCert, key: tls.strangerKey })],
    ['an expired client certificate', () => ('skip' in tls ? {} : { cert: tls.expiredCert, key: tls.expiredKey })],
    ['no client certificate', () => ({})],
  ];
  for (const [what, client] of refusals) {
    it(`${what} is refused: connect rejects with AuthFailed, the leader counts a TLS authentication failure, nothing is shipped`, async () => {
      if ('skip' in tls) return;
      const { db, listener, events } = await mtlsLeader();
      const replica = await FollowerDb.open();
      cleanup.push(() => replica.close());
      await expect(TcpTransport.connect({ port: listener.port, peer: 'f1', token: TOKEN, db: replica, tls: { ca: tls.ca, ...client() }, ...FAST }))
        .rejects.toMatchObject({ code: 'AuthFailed', message: expect.stringMatching(/^TLS: /) });
      expect(replica.lastSeq).toBe(0);
      expect(listener.connectedPeers).toEqual([]);
      expect(events.some((e) => e.kind === 'closed' && /^TLS handshake failed/.test(e.reason))).toBe(true);
      expect(db.metrics.snapshot().counters['replication.authFailures.tls']).toBeGreaterThanOrEqual(1);
    });
  }
});
