/**
 * `tidaldb leader` with the TLS flags (issue 8): `--tls-cert`/`--tls-key`
 * serve followers over TLS, and `--tls-ca` makes it mutual (a follower
 * without a certificate the CA signed is refused). The flags were checked
 * for usage only; this runs them.
 */
import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { runLeader, type LeaderRunOptions } from '../../streams/cli/leader.js';
import { startFollower, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { tlsFiles } from '../streams/transports/tlsCertificates.js';
import { until } from '../support/until.js';
import { captureIo, type CapturedIo } from './captureIo.js';

const TOKEN = 'leader-tls-token-0123';
const AT = Date.UTC(2026, 0, 1);
const tls = tlsFiles();
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

function listeningPort(io: CapturedIo): number | null {
  const m = /listening on 127\.0\.0\.1:(\d+) for /.exec(io.stdout());
  return m ? Number(m[1]) : null;
}

/** A leader directory holding 20 signals, served by runLeader with `extra`; resolves with its port and its exit. */
async function tlsLeader(extra: Partial<LeaderRunOptions>): Promise<{ port: number; io: CapturedIo; stop: AbortController; exited: Promise<number> }> {
  const dir = tempDir('leader-tls');
  const seeded = await TidalDb.open({ dir });
  for (let i = 0; i < 20; i++) await seeded.signal({ itemId: `s${i % 4}`, type: 'view', at: AT });
  await seeded.close();
  const io = captureIo();
  const stop = new AbortController();
  const options: LeaderRunOptions = { dir, listen: { host: '127.0.0.1', port: 0 }, followers: ['r1'], token: TOKEN, shipIntervalMs: 20, statusIntervalMs: 50, ...extra };
  const exited = runLeader(options, io, { signal: stop.signal });
  cleanups.push(async () => {
    stop.abort();
    await exited;
  });
  await until(() => listeningPort(io) !== null, 'the leader to listen', { show: [io] });
  return { port: listeningPort(io)!, io, stop, exited };
}

describe.skipIf('skip' in tls)('tidaldb leader with the TLS flags', () => {
  if ('skip' in tls) return;

  it('--tls-cert and --tls-key: a follower trusting the CA replicates everything over TLS; a stop exits 0', async () => {
    const leader = await tlsLeader({ tls: { cert: tls.leaderCert, key: tls.leaderKey } });
    const replica = await FollowerDb.open({ dir: tempDir('leader-tls-replica') });
    const link = await TcpTransport.connect({ port: leader.port, peer: 'r1', token: TOKEN, db: replica, heartbeatMs: 50, tls: { ca: fs.readFileSync(tls.ca) } });
    const handle = startFollower({ db: replica, transport: link, peer: 'r1' });
    await replica.waitFor(20, { timeoutMs: 10_000 });
    expect(replica.readDecayScore('s0', 'view', AT)).toBeGreaterThan(0);
    await handle.stop();
    await link.close();
    await replica.close();
    leader.stop.abort();
    expect(await leader.exited).toBe(0);
  });

  it('--tls-ca: mutual TLS; a follower with a certificate the CA signed replicates, one with none is refused', async () => {
    const leader = await tlsLeader({ tls: { cert: tls.leaderCert, key: tls.leaderKey, ca: tls.ca } });
    const stranger = await FollowerDb.open({ dir: tempDir('leader-tls-stranger') });
    cleanups.push(() => stranger.close());
    await expect(TcpTransport.connect({ port: leader.port, peer: 'r1', token: TOKEN, db: stranger, heartbeatMs: 50, tls: { ca: fs.readFileSync(tls.ca) } }))
      .rejects.toThrow(/certificate required/);
    const replica = await FollowerDb.open({ dir: tempDir('leader-tls-replica') });
    const link = await TcpTransport.connect({
      port: leader.port, peer: 'r1', token: TOKEN, db: replica, heartbeatMs: 50,
      tls: { ca: fs.readFileSync(tls.ca), cert: fs.readFileSync(tls.clientCert), key: fs.readFileSync(tls.clientKey) },
    });
    const handle = startFollower({ db: replica, transport: link, peer: 'r1' });
    await replica.waitFor(20, { timeoutMs: 10_000 });
    await handle.stop();
    await link.close();
    await replica.close();
  });
});
