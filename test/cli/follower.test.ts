/**
 * `tidaldb follower` in-process: over an InProcessTransport (injected), and
 * over the real TcpTransport against a leader listening in this process.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { type ConnectTransport, loadTcpTransport } from '../../streams/cli/followerLink.js';
import { runFollower } from '../../streams/cli/follower.js';
import type { FollowerStatusRecord } from '../../streams/cli/followerStatusJson.js';
import { runCli } from '../../streams/cli/runCli.js';
import { InProcessTransport, type LeaderHandle, type LeaderTransport, startLeader, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo, type CapturedIo } from './captureIo.js';
import { until } from '../support/until.js';

const TOKEN = 'cli-test-token-0123';
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */

async function leaderWriting(signals: number): Promise<TidalDb> {
  const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
  cleanups.push(() => leader.close());
  for (let i = 0; i < signals; i++) await leader.signal({ itemId: `song-${i % 5}`, type: 'view' });
  return leader;
}

function ship(leader: TidalDb, transport: LeaderTransport, peer: string): LeaderHandle {
  const handle = startLeader({ db: leader, transport, followers: [peer], shipIntervalMs: 50 });
  cleanups.push(() => handle.stop());
  return handle;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function statusApplied(io: CapturedIo, seq: number): boolean {
  return new RegExp(`applied ${seq.toLocaleString('en-US')}  leader ${seq.toLocaleString('en-US')}  lag 0 events  staleness \\d+ ms`).test(io.stdout());
}

describe('tidaldb follower', () => {
  it('replays into its dir, prints status lines and serves metrics; on abort it closes everything and exits 0', async () => {
    const leader = await leaderWriting(40);
    const transport = new InProcessTransport();
    cleanups.push(() => transport.close());
    ship(leader, transport, 'r1');
    let asked: unknown;
    const connect: ConnectTransport = async (o) => {
      asked = { host: o.host, port: o.port, peer: o.peer, token: o.token, follower: o.db.isFollower() };
      return transport;
    };
    const dir = path.join(tempDir('cli'), 'replica'); // created by the follower
    const io = captureIo();
    const stop = new AbortController();
    const running = runFollower({
      dir, connect: { host: 'leader.test', port: 7400 }, peer: 'r1', token: TOKEN, statusIntervalMs: 50, metrics: { host: '127.0.0.1', port: 0 },
    }, io, { signal: stop.signal, loadConnect: async () => connect });

    await until(() => statusApplied(io, leader.lastSeq), 'the replica to catch up');
    expect(asked).toEqual({ host: 'leader.test', port: 7400, peer: 'r1', token: TOKEN, follower: true });
    expect(io.stdout()).toContain(`follower "r1" of leader.test:7400, replica ${dir} at seqno 0\n`);
    const url = /serving metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(io.stdout())![1]!;
    const scrape = await (await fetch(url)).text();
    expect(scrape).toMatch(new RegExp(`^tidaldb_last_seq ${leader.lastSeq}$`, 'm'));
    expect(scrape).toMatch(/^tidaldb_staleness_seconds \d+(\.\d+)?(e-\d+)?$/m);

    stop.abort();
    expect(await running).toBe(0);
    expect(io.stderr()).toBe('');
    await expect(fetch(url)).rejects.toThrow(); // the metrics server is gone
    const reopened = await FollowerDb.open({ dir });
    expect(reopened.lastSeq).toBe(leader.lastSeq); // persisted, and the db was closed (its checkpoint is there)
    await reopened.close();
  });

  it('follows a leader over the real TcpTransport, and resumes from its own mark after a restart', async () => {
    const leader = await leaderWriting(25);
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, heartbeatMs: 50 });
    cleanups.push(() => listener.close());
    ship(leader, listener, 'tcp-1');
    const dir = tempDir('cli');
    const options = { dir, connect: { host: '127.0.0.1', port: listener.port }, peer: 'tcp-1', token: TOKEN, statusIntervalMs: 50 };

    const first = captureIo();
    const stop1 = new AbortController();
    const run1 = runFollower(options, first, { signal: stop1.signal });
    await until(() => statusApplied(first, leader.lastSeq), 'the replica to catch up over TCP');
    expect(first.stdout()).toMatch(new RegExp(`^connected to 127\\.0\\.0\\.1:${listener.port}( \\(leader epoch \\d+\\))?$`, 'm'));
    stop1.abort();
    expect(await run1).toBe(0);

    for (let i = 0; i < 10; i++) await leader.signal({ itemId: 'song-9', type: 'view' });
    const second = captureIo();
    const stop2 = new AbortController();
    const run2 = runFollower(options, second, { signal: stop2.signal });
    await until(() => statusApplied(second, leader.lastSeq), 'the restarted replica to catch up');
    expect(second.stdout()).toContain(`at seqno 25\n`);
    stop2.abort();
    expect(await run2).toBe(0);
  });

  it('--status-json: stdout is one JSON object a line with the documented fields; the other notices go to stderr', async () => {
    const leader = await leaderWriting(30);
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, heartbeatMs: 50 });
    cleanups.push(() => listener.close()); // idempotent: the test closes it itself midway
    ship(leader, listener, 'json-1');
    const io = captureIo();
    const stop = new AbortController();
    const running = runFollower({
      dir: tempDir('cli'), connect: { host: '127.0.0.1', port: listener.port }, peer: 'json-1', token: TOKEN, statusIntervalMs: 50, statusJson: true,
      metrics: { host: '127.0.0.1', port: 0 },
    }, io, { signal: stop.signal });
    const records = (): FollowerStatusRecord[] => io.stdout().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as FollowerStatusRecord);

    await until(() => records().some((r) => r.state === 'caught-up' && r.appliedSeq === leader.lastSeq), 'a caught-up JSON line');
    await listener.close(); // the leader goes away: the follower says it does not know its lag
    await until(() => records().some((r) => r.state === 'disconnected'), 'a disconnected JSON line');
    stop.abort();
    expect(await running).toBe(0);

    const lines = io.stdout().split('\n');
    expect(lines.pop()).toBe(''); // every line ends with a newline
    for (const line of lines) {
      const r = JSON.parse(line) as FollowerStatusRecord;
      expect(Object.keys(r)).toEqual(['time', 'peer', 'state', 'appliedSeq', 'leaderSeq', 'lagEvents', 'stalenessMs']);
      expect(Date.parse(r.time)).not.toBeNaN();
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(r.peer).toBe('json-1');
      expect(['caught-up', 'behind', 'leader-unknown', 'disconnected']).toContain(r.state);
      expect(Number.isInteger(r.appliedSeq)).toBe(true);
      if (r.state === 'caught-up' || r.state === 'behind') expect(r.lagEvents).toBe(r.leaderSeq! - r.appliedSeq);
      if (r.state === 'caught-up') expect(r.lagEvents).toBe(0);
      if (r.state === 'disconnected' || r.state === 'leader-unknown') expect(r.lagEvents).toBeNull();
      expect(r.stalenessMs === null || (Number.isInteger(r.stalenessMs) && r.stalenessMs >= 0)).toBe(true);
    }
    const disconnected = records().find((r) => r.state === 'disconnected')!;
    expect(disconnected).toMatchObject({ appliedSeq: leader.lastSeq, leaderSeq: leader.lastSeq, lagEvents: null });
    expect(io.stderr()).toContain('follower "json-1" of 127.0.0.1:');
    expect(io.stderr()).toMatch(/^serving metrics at http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    expect(io.stderr()).toMatch(/^connected to 127\.0\.0\.1:\d+/m);
  });

  it('--status-json is a flag of tidaldb follower, described in its help', async () => {
    const io = captureIo();
    expect(await runCli(['help', 'follower'], io)).toBe(0);
    expect(io.stdout()).toMatch(/--status-json\s+print each status line as one JSON object/);
  });

  it('a refused connection at start: one line naming the address, exit 1', async () => {
    const port = await closedPort();
    const io = captureIo();
    const code = await runFollower({ dir: tempDir('cli'), connect: { host: '127.0.0.1', port }, peer: 'r1', token: TOKEN }, io, { signal: new AbortController().signal });
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(new RegExp(`^error: follower: cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\n$`));
  });

  it('a token the leader refuses: exit 1 with the leader\'s reason (AuthFailed) and the fix', async () => {
    const leader = await leaderWriting(1);
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader });
    cleanups.push(() => listener.close());
    const io = captureIo();
    const code = await runFollower({ dir: tempDir('cli'), connect: { host: '127.0.0.1', port: listener.port }, peer: 'r1', token: 'wrong-token-0123456' }, io, { signal: new AbortController().signal });
    expect(code).toBe(1);
    expect(io.stderr()).toBe(`error: follower: cannot connect to 127.0.0.1:${listener.port}: leader refused this follower: peer "r1" could not prove it knows the token; `
      + 'fix: give the follower and the leader the same token (--token-file, or TIDALDB_TOKEN)\n');
  });

  it('usage errors: no token, --dir a file, a dir under a missing parent (exit 2, one line)', async () => {
    const signal = new AbortController().signal;
    const connect = { host: '127.0.0.1', port: 1 };
    const noToken = captureIo();
    expect(await runFollower({ dir: tempDir('cli'), connect, peer: 'r1', token: undefined }, noToken, { signal })).toBe(2);
    expect(noToken.stderr()).toBe('error: follower: a token is required: pass --token-file, set TIDALDB_TOKEN, or pass --token\n');
    const shortToken = captureIo();
    expect(await runFollower({ dir: tempDir('cli'), connect, peer: 'r1', token: 'secret' }, shortToken, { signal })).toBe(2);
    expect(shortToken.stderr()).toBe('error: follower: the token is 6 bytes; at least 16 are required: use a random secret (e.g. `openssl rand -hex 16`)\n');
    const file = path.join(tempDir('cli'), 'file');
    fs.writeFileSync(file, '');
    const notDir = captureIo();
    expect(await runFollower({ dir: file, connect, peer: 'r1', token: TOKEN }, notDir, { signal })).toBe(2);
    expect(notDir.stderr()).toBe(`error: follower: --dir ${file}: not a directory\n`);
    const orphan = captureIo();
    expect(await runFollower({ dir: path.join(file, 'x', 'y'), connect, peer: 'r1', token: TOKEN }, orphan, { signal })).toBe(2);
    expect(orphan.stderr()).toMatch(/^error: follower: --dir .*: its parent directory .* does not exist\n$/);
  });

  it('loads TcpTransport.connect from the transports directory', async () => {
    expect(typeof (await loadTcpTransport())).toBe('function');
  });
});
