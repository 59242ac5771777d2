/**
 * `tidaldb follower --serve` under issue 12's secure defaults: a relay
 * listening off loopback needs TLS (`--serve-tls-cert`/`--serve-tls-key`)
 * or an explicit `--serve-insecure`, as `tidaldb leader` needs `--tls-*`
 * or `--insecure`. Before these flags a relay could only serve on loopback.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { runFollower } from '../../streams/cli/follower.js';
import { startFollower, startLeader, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { tlsFiles } from '../streams/transports/tlsCertificates.js';
import { until } from '../support/until.js';
import { captureIo } from './captureIo.js';
import { cli } from './cliRun.js';

const TOKEN = 'relay-serve-token-0123';
const cleanups: Array<() => unknown> = [];
const tls = tlsFiles();

afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

/** A leader in this process with `signals` written, listening on loopback for the relay 'mid'. */
async function leaderFor(signals: number): Promise<{ leader: TidalDb; port: number }> {
  const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
  cleanups.push(() => leader.close());
  for (let i = 0; i < signals; i++) await leader.signal({ itemId: `song-${i % 5}`, type: 'view' });
  const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, heartbeatMs: 50 });
  cleanups.push(() => listener.close());
  const handle = startLeader({ db: leader, transport: listener, followers: ['mid'], shipIntervalMs: 50 });
  cleanups.push(() => handle.stop());
  return { leader, port: listener.port };
}

describe('tidaldb follower --serve off loopback', () => {
  it('without TLS or --serve-insecure exits 1, naming --serve-tls-cert and --serve-insecure', async () => {
    const { port } = await leaderFor(3);
    const run = await cli('follower', '--dir', tempDir('cli'), '--connect', `127.0.0.1:${port}`, '--peer', 'mid', '--token', TOKEN,
      '--serve', '0.0.0.0:0', '--serve-follower', 'edge');
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^error: follower: cannot serve at 0\.0\.0\.0:0: .*without TLS.*--serve-tls-cert\/--serve-tls-key.*--serve-insecure/);
  });

  it('with --serve-insecure serves, and warns on stderr that the data travels in clear', async () => {
    const { leader, port } = await leaderFor(3);
    const io = captureIo();
    const stop = new AbortController();
    const running = runFollower({
      dir: tempDir('cli'), connect: { host: '127.0.0.1', port }, peer: 'mid', token: TOKEN, statusIntervalMs: 50,
      serve: { address: { host: '0.0.0.0', port: 0 }, followers: ['edge'], insecure: true },
    }, io, { signal: stop.signal });
    await until(() => /serving followers "edge" at 0\.0\.0\.0:\d+/.test(io.stdout()), 'the relay to serve', { show: [io] });
    expect(io.stderr()).toMatch(/^warning: listening on 0\.0\.0\.0 without TLS \(insecure\).*--serve-tls-cert/m);
    await until(() => io.stdout().includes(`applied ${leader.lastSeq}`), 'the relay to catch up', { show: [io] });
    stop.abort();
    expect(await running).toBe(0);
  });

  it.skipIf('skip' in tls)(`with --serve-tls-cert and --serve-tls-key, a follower of the relay replicates over TLS${'skip' in tls ? ` [skipped: ${tls.skip}]` : ''}`, async () => {
    if ('skip' in tls) return;
    const { leader, port } = await leaderFor(12);
    const io = captureIo();
    const stop = new AbortController();
    const running = runFollower({
      dir: tempDir('cli'), connect: { host: '127.0.0.1', port }, peer: 'mid', token: TOKEN, statusIntervalMs: 50,
      serve: { address: { host: '127.0.0.1', port: 0 }, followers: ['edge'], tls: { cert: tls.leaderCert, key: tls.leaderKey } },
    }, io, { signal: stop.signal });
    cleanups.push(async () => { stop.abort(); await running; });
    await until(() => /serving followers "edge" at 127\.0\.0\.1:\d+/.test(io.stdout()), 'the relay to serve', { show: [io] });
    const relayPort = Number(/serving followers "edge" at 127\.0\.0\.1:(\d+)/.exec(io.stdout())![1]);
    const edge = await FollowerDb.open();
    cleanups.push(() => edge.close());
    const link = await TcpTransport.connect({ port: relayPort, peer: 'edge', token: TOKEN, db: edge, tls: { ca: fs.readFileSync(tls.ca) }, heartbeatMs: 50 });
    cleanups.push(() => link.close());
    const follower = startFollower({ db: edge, transport: link, peer: 'edge' });
    cleanups.push(() => follower.stop());
    await until(() => edge.lastSeq === leader.lastSeq, 'the relay\'s follower to converge over TLS');
    const at = Date.now();
    expect(edge.retrieve({ signal: 'view', limit: 5, at })).toEqual(leader.retrieve({ signal: 'view', limit: 5, at }));
    // The relay's port speaks TLS with the given certificate: a plain TLS client that trusts the CA is authorized.
    const socket = tlsConnect({ host: '127.0.0.1', port: relayPort, ca: fs.readFileSync(tls.ca) });
    cleanups.push(() => socket.destroy());
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.authorized).toBe(true);
  });

  it('the relay flags without --serve, or TLS flags that do not fit, are usage errors (exit 2) before anything opens', async () => {
    const dir = path.join(tempDir('cli'), 'replica');
    const base = ['follower', '--dir', dir, '--connect', '127.0.0.1:1', '--token', TOKEN];
    expect(await cli(...base, '--serve-insecure')).toMatchObject({ code: 2, err: 'error: follower: --serve-insecure and --serve-tls-* are for --serve HOST:PORT\n' });
    const serving = [...base, '--serve', '127.0.0.1:0', '--serve-follower', 'edge'];
    expect(await cli(...serving, '--serve-tls-cert', 'c.pem')).toMatchObject({ code: 2, err: 'error: follower: --serve-tls-cert and --serve-tls-key go together\n' });
    expect(await cli(...serving, '--serve-tls-ca', 'ca.pem')).toMatchObject({
      code: 2, err: 'error: follower: --serve-tls-ca (require client certificates) needs --serve-tls-cert and --serve-tls-key\n',
    });
    expect(fs.existsSync(dir)).toBe(false);
  });
});
