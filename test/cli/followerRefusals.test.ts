/**
 * `tidaldb follower`, misconfigured (issue 8, "misconfiguration is loud"):
 * each mistake is one line and exit 1, naming what was refused and what to
 * change; and a lost leader shows in the status line as `disconnected` and
 * `lag unknown`, not `lag 0`.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { runFollower } from '../../streams/cli/follower.js';
import { startLeader, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo } from './captureIo.js';
import { until } from '../support/until.js';

const TOKEN = 'cli-refusals-token-0123';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});


async function leaderListening(followers: string[]) {
  const db = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
  for (let i = 0; i < 10; i++) await db.signal({ itemId: `song-${i % 3}`, type: 'view' });
  const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db, followers, heartbeatMs: 50 });
  const handle = startLeader({ db, transport: listener, followers, shipIntervalMs: 30 });
  cleanups.push(() => db.close(), () => listener.close(), () => handle.stop());
  return { db, listener, handle };
}

function follow(port: number, peer: string, extra: { statusIntervalMs?: number } = {}) {
  const io = captureIo();
  const stop = new AbortController();
  const run = runFollower({ dir: tempDir('cli'), connect: { host: '127.0.0.1', port }, peer, token: TOKEN, ...extra }, io, { signal: stop.signal });
  cleanups.push(async () => {
    stop.abort();
    await run;
  });
  return { io, stop, run };
}

describe('tidaldb follower: misconfiguration is loud', () => {
  it('an unknown peer: exit 1 saying which peer id was refused and how to fix it', async () => {
    const { listener } = await leaderListening(['replica-1']);
    const { io, run } = follow(listener.port, 'replica-9');
    expect(await run).toBe(1);
    expect(io.stderr()).toBe(`error: follower: cannot connect to 127.0.0.1:${listener.port}: leader refused this follower: `
      + 'peer id "replica-9" is not in this leader\'s follower set (it ships to "replica-1"); '
      + 'fix: start the leader with --follower replica-9 (or add "replica-9" to its followers), or give this follower the --peer the leader lists\n');
  });

  it('a duplicate peer id: exit 1 naming the address that holds it; the first follower keeps being served', async () => {
    const { db, listener } = await leaderListening(['replica-1']);
    const replica = await FollowerDb.open();
    const first = await TcpTransport.connect({ port: listener.port, peer: 'replica-1', token: TOKEN, db: replica, heartbeatMs: 50 });
    cleanups.push(() => replica.close(), () => first.close());
    const { io, run } = follow(listener.port, 'replica-1');
    expect(await run).toBe(1);
    expect(io.stderr()).toMatch(new RegExp(`^error: follower: cannot connect to 127\\.0\\.0\\.1:${listener.port}: leader refused this follower: `
      + 'peer id "replica-1" is already connected from 127\\.0\\.0\\.1:\\d+; .*; fix: another follower runs with --peer replica-1: stop it, '
      + 'or give this one its own --peer \\(and add it to the leader with --follower\\)\\n$'));
    expect(listener.connectedPeers).toEqual(['replica-1']);
    expect(db.lastSeq).toBe(10);
  });

  it('a non-tidaldb port (a plain net server answering like HTTP): exit 1 saying it is not a tidaldb leader', async () => {
    const sockets = new Set<net.Socket>();
    const http = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => http.close(r)), () => sockets.forEach((s) => s.destroy()));
    const port = (http.address() as net.AddressInfo).port;
    const { io, run } = follow(port, 'replica-1');
    expect(await run).toBe(1);
    expect(io.stderr()).toBe(`error: follower: 127.0.0.1:${port} is not a tidaldb leader: it answered like an HTTP server ("HTTP/1.1 400 Bad Request"); `
      + 'fix: --connect must be the leader\'s replication address (what `tidaldb leader --listen` binds), not its --metrics port or another service\n');
    expect(io.stderr()).not.toMatch(/maxFrameBytes/);
  });

  it('a lost leader: the status line says disconnected and lag unknown, never lag 0', async () => {
    const { db, listener, handle } = await leaderListening(['replica-1']);
    const { io } = follow(listener.port, 'replica-1', { statusIntervalMs: 50 });
    await until(() => /applied 10 {2}leader 10 {2}lag 0 events/.test(io.stdout()), 'the replica to catch up');
    handle.stop();
    await listener.close();
    for (let i = 0; i < 5; i++) await db.signal({ itemId: 'song-1', type: 'view' });
    const seen = io.stdout().length;
    await until(() => / {2}applied 10 {2}disconnected {2}leader 10 when last heard {2}lag unknown {2}staleness [\d,]+ ms$/m.test(io.stdout().slice(seen)), 'a disconnected status line');
    expect(io.stdout().slice(seen)).not.toMatch(/disconnected.*lag 0/);
    expect(io.stderr()).toMatch(/^warning: connection to 127\.0\.0\.1:\d+ closed/m);
  });
});
