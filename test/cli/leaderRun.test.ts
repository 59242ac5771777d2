/**
 * `tidaldb leader` in-process (runLeader with captured output): ingest from
 * a stream standing in for stdin while a follower follows over the real
 * TcpTransport, --exit-when-synced, a locked directory, and usage errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { holdsAll, runLeader, type LeaderRunOptions } from '../../streams/cli/leader.js';
import { runCli } from '../../streams/cli/runCli.js';
import { startFollower, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo, type CapturedIo } from './captureIo.js';
import { until } from '../support/until.js';

const TOKEN = 'leader-run-token';
const AT = Date.UTC(2026, 0, 1);
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});


function options(dir: string, extra: Partial<LeaderRunOptions> = {}): LeaderRunOptions {
  return { dir, listen: { host: '127.0.0.1', port: 0 }, followers: ['r1'], token: TOKEN, shipIntervalMs: 20, statusIntervalMs: 50, ...extra };
}

function listeningPort(io: CapturedIo): number | null {
  const m = /listening on 127\.0\.0\.1:(\d+) for /.exec(io.stdout());
  return m ? Number(m[1]) : null;
}

/** A replica following the leader at `port` as peer `peer`, stopped and closed after the test. */
async function follow(port: number, peer = 'r1'): Promise<FollowerDb> {
  const replica = await FollowerDb.open({ dir: tempDir('leader-replica') });
  const link = await TcpTransport.connect({ port, peer, token: TOKEN, db: replica, heartbeatMs: 50 });
  const handle = startFollower({ db: replica, transport: link, peer });
  cleanups.push(async () => {
    await handle.stop();
    await link.close();
    await replica.close();
  });
  return replica;
}

function signal(itemId: string, weight = 1): string {
  return `${JSON.stringify({ signal: { itemId, type: 'view', weight, at: AT } })}\n`;
}

describe('tidaldb leader (in-process)', () => {
  it('ingests stdin while a follower follows over TCP: bad lines reported and skipped, status lines with each follower, exit 0 on abort', async () => {
    const dir = tempDir('leader');
    const stdin = new PassThrough();
    const io = captureIo();
    const stop = new AbortController();
    const running = runLeader(options(dir, { ingest: '-', metrics: { host: '127.0.0.1', port: 0 } }), io, { signal: stop.signal, stdin });
    await until(() => listeningPort(io) !== null, 'the leader to listen', { show: [io] });
    expect(io.stdout()).toMatch(new RegExp(`^leader of ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at seqno 0, listening on 127\\.0\\.0\\.1:\\d+ for "r1"$`, 'm'));
    const replica = await follow(listeningPort(io)!);

    stdin.write(`${JSON.stringify({ item: { id: 'a', text: 'quiet river' } })}\n${signal('a', 3)}`);
    stdin.write('{"signal": nope}\n');
    stdin.write(`${signal('b')}${JSON.stringify({ signal: { itemId: 'c', type: 'view', weight: '3' } })}\n`);
    stdin.end(signal('c', 2).trimEnd()); // a last line without a newline
    await until(() => /^ingest stdin done/m.test(io.stdout()), 'the ingest to finish', { show: [io] });
    expect(io.stdout()).toMatch(/^ingest stdin done, 6 lines: 4 written, 2 bad lines skipped; leader seqno 4; serving until SIGINT or SIGTERM$/m);
    expect(io.stderr()).toMatch(/^warning: ingest stdin line 3: invalid JSON: [^\n]*; skipped$/m);
    expect(io.stderr()).toMatch(/^warning: ingest stdin line 5: [^\n]*weight[^\n]*; skipped$/m);

    await until(() => replica.lastSeq === 4, 'the follower to catch up', { show: [io] });
    await until(() => /"r1"( streaming,)? lag 0 events, \d+ ms$/m.test(io.stdout()), 'a status line with r1 caught up', { show: [io] });
    expect(io.stdout()).toMatch(/^follower "r1" connected from 127\.0\.0\.1:\d+$/m);
    const url = /serving metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(io.stdout())![1]!;
    expect(await (await fetch(url)).text()).toMatch(/^tidaldb_last_seq 4$/m);

    stop.abort();
    expect(await running).toBe(0);
    expect(replica.retrieve({ signal: 'view', at: AT })).toEqual([{ id: 'a', score: 3 }, { id: 'c', score: 2 }, { id: 'b', score: 1 }]);
    const reopened = await TidalDb.open({ dir }); // the lock was released
    expect(reopened.lastSeq).toBe(4);
    expect(reopened.retrieve({ signal: 'view', at: AT })).toEqual(replica.retrieve({ signal: 'view', at: AT }));
    await reopened.close();
  });

  it('SIGINT/SIGTERM mid-ingest: stops reading, keeps every write made, exits 0; past 100 bad lines they are counted, not shown', async () => {
    const dir = tempDir('leader');
    const stdin = new PassThrough();
    const io = captureIo();
    const stop = new AbortController();
    const running = runLeader(options(dir, { ingest: '-' }), io, { signal: stop.signal, stdin });
    stdin.write('not json\n'.repeat(102));
    stdin.write(Array.from({ length: 500 }, (_, i) => signal(`s${i % 7}`)).join(''));
    await until(() => /leader seqno 500 /.test(io.stdout()), 'the 500 writes', { show: [io] }); // stdin stays open: the ingest is still running
    stop.abort();
    expect(await running).toBe(0);
    expect(io.stdout()).toMatch(/^ingest stdin interrupted after line 602: 500 written, 102 bad lines skipped; leader seqno 500$/m);
    const warnings = io.stderr().split('\n').filter((l) => l.startsWith('warning: ingest stdin'));
    expect(warnings.length).toBe(101);
    expect(warnings[99]).toMatch(/^warning: ingest stdin line 100: invalid JSON: .+; skipped$/);
    expect(warnings[100]).toBe('warning: ingest stdin: over 100 bad lines; the rest are counted, not shown');
    const reopened = await TidalDb.open({ dir });
    expect(reopened.lastSeq).toBe(500);
    await reopened.close();
  });

  it('without --ingest serves what the directory holds; --exit-when-synced exits 0 once every follower has it', async () => {
    const dir = tempDir('leader');
    const seeded = await TidalDb.open({ dir });
    for (let i = 0; i < 30; i++) await seeded.signal({ itemId: `s${i % 3}`, type: 'view', at: AT });
    await seeded.close();
    const io = captureIo();
    const running = runLeader(options(dir, { exitWhenSynced: true }), io, { signal: new AbortController().signal });
    await until(() => listeningPort(io) !== null, 'the leader to listen', { show: [io] });
    expect(io.stdout()).toContain('at seqno 30,');
    const replica = await follow(listeningPort(io)!);
    expect(await running).toBe(0);
    expect(io.stdout()).toMatch(/^every follower holds seqno 30; exiting \(--exit-when-synced\)$/m);
    expect(replica.lastSeq).toBe(30);
  });

  it('a peer id outside --follower is refused: connect rejects with UnknownPeer naming the set', async () => {
    const dir = tempDir('leader');
    const io = captureIo();
    const stop = new AbortController();
    const running = runLeader(options(dir), io, { signal: stop.signal });
    await until(() => listeningPort(io) !== null, 'the leader to listen', { show: [io] });
    const stranger = await FollowerDb.open();
    await expect(TcpTransport.connect({ port: listeningPort(io)!, peer: 'r9', token: TOKEN, db: stranger, heartbeatMs: 50 }))
      .rejects.toMatchObject({ code: 'UnknownPeer', message: expect.stringMatching(/"r9".*"r1"/) });
    stop.abort();
    expect(await running).toBe(0);
    await stranger.close();
  });

  it('a directory another database holds: exit 1 saying it is in use and by whom', async () => {
    const dir = tempDir('leader');
    const holder = await TidalDb.open({ dir });
    cleanups.push(() => holder.close());
    const io = captureIo();
    expect(await runLeader(options(dir), io, { signal: new AbortController().signal })).toBe(1);
    expect(io.stderr()).toMatch(new RegExp(`^error: leader: --dir ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use: .*locked by .*pid ${process.pid}.*\\n$`));
    expect(io.stdout()).toBe('');
  });

  it('usage errors, each one line before anything is opened (exit 2)', async () => {
    const dir = tempDir('leader');
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    const cases: Array<[Partial<LeaderRunOptions>, string]> = [
      [{ token: undefined }, 'a token is required: pass --token-file, set TIDALDB_TOKEN, or pass --token'],
      [{ token: 'short' }, 'the token is 5 bytes; at least 16 are required: use a random secret (e.g. `openssl rand -hex 16`)'],
      [{ followers: [] }, 'at least one --follower ID is required: the peer ids this leader ships to'],
      [{ followers: ['r1', 'r1'] }, '--follower "r1" is given twice'],
      [{ tls: { cert: file } }, '--tls-cert and --tls-key go together'],
      [{ tls: { ca: file } }, '--tls-ca (require client certificates) needs --tls-cert and --tls-key'],
      [{ strict: true }, '--strict applies to --ingest, which is not given'],
      [{ ingest: path.join(dir, 'missing.ndjson') }, `--ingest ${path.join(dir, 'missing.ndjson')}: no such file`],
      [{ dir: file }, `--dir ${file}: not a directory`],
    ];
    for (const [extra, message] of cases) {
      const io = captureIo();
      expect(await runLeader(options(dir, extra), io, { signal: new AbortController().signal }), message).toBe(2);
      expect(io.stderr()).toBe(`error: leader: ${message}\n`);
    }
    expect(fs.readdirSync(dir)).toEqual(['file']); // nothing was opened
  });

  it('through runCli: repeated --follower, --half-life and --ingest FILE reach the leader; --exit-when-synced waits for every follower', async () => {
    const dir = tempDir('leader');
    const file = path.join(tempDir('leader-input'), 'signals.ndjson');
    fs.writeFileSync(file, `${signal('a')}${signal('b', 2)}`);
    const io = captureIo();
    const running = runCli(['leader', '--dir', dir, '--listen', '127.0.0.1:0', '--follower', 'a', '--follower', 'b', '--token', TOKEN,
      '--ingest', file, '--exit-when-synced', '--half-life', 'view=1000', '--ship-interval-ms', '20', '--ship-on', 'commit', '--status-interval', '50'], io);
    await until(() => listeningPort(io) !== null, 'the leader to listen', { show: [io] });
    expect(io.stdout()).toContain('for "a", "b"\n');
    const first = await follow(listeningPort(io)!, 'a');
    await until(() => first.lastSeq === 2 && /"b" never-connected, lag 2 events/.test(io.stdout()), 'a to catch up while b never connected', { show: [io] });
    expect(io.stdout()).toMatch(new RegExp(`^ingest ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} done, 2 lines: 2 written, 0 bad lines skipped; leader seqno 2; exiting once every follower has it$`, 'm'));
    const second = await follow(listeningPort(io)!, 'b');
    expect(await running).toBe(0);
    expect(second.lastSeq).toBe(2);
    expect(second.readDecayScore('b', 'view', AT + 1000)).toBe(1); // weight 2, one 1000 ms half-life later
  });

  it('through runCli: bad flag values are one line each (exit 2), and --help describes the command', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['leader', '--dir', '/tmp/x'], /^error: leader: give --listen HOST:PORT \(over TCP\) or --nats URL \(over JetStream\), one of them\n$/],
      [['leader', '--dir', '/tmp/x', '--listen', 'nohost'], /^error: option '--listen <host:port>' argument 'nohost' is invalid\. expected HOST:PORT with a port in 0\.\.65535\.\n$/],
      [['leader', '--dir', '/tmp/x', '--listen', '127.0.0.1:0', '--half-life', 'view'], /^error: option '--half-life <type=ms>' argument 'view' is invalid\. expected TYPE=MS/],
      [['leader', '--dir', '/tmp/x', '--listen', '127.0.0.1:0', '--half-life', 'view=fast'], /^error: option '--half-life <type=ms>' argument 'view=fast' is invalid\. expected TYPE=MS/],
      [['leader', '--dir', '/tmp/x', '--listen', '127.0.0.1:0', '--ship-interval-ms', '0'], /^error: option '--ship-interval-ms <ms>' argument '0' is invalid\. expected an integer in 1\.\.3600000\.\n$/],
      [['leader', '--dir', '/tmp/x', '--listen', '127.0.0.1:0', '--ship-on', 'often'], /^error: option '--ship-on <when>' argument 'often' is invalid\. Allowed choices are tick, commit\.\n$/],
    ];
    for (const [args, expected] of cases) {
      const io = captureIo();
      expect(await runCli(args, io), args.join(' ')).toBe(2);
      expect(io.stderr()).toMatch(expected);
    }
    const help = captureIo();
    expect(await runCli(['leader', '--help'], help)).toBe(0);
    for (const flag of ['--follower <id>', '--ingest <file>', '--strict', '--exit-when-synced', '--tls-cert <file>', '--metrics <host:port>', '--ship-on <when>']) expect(help.stdout()).toContain(flag);
    expect(help.stdout()).toMatch(/\(env:\s+TIDALDB_TOKEN\)/);
    expect(help.stdout()).not.toContain('default: []');
  });

  it('holdsAll (--exit-when-synced): every follower in the set acked the leader\'s seqno, and is streaming where states are reported', () => {
    expect(holdsAll({ a: { appliedSeq: 5 }, b: { appliedSeq: 6 } }, 5, ['a', 'b'])).toBe(true);
    expect(holdsAll({ a: { appliedSeq: 5 } }, 5, ['a', 'b'])).toBe(false); // b never heard from
    expect(holdsAll({ a: { appliedSeq: 4 }, b: { appliedSeq: 5 } }, 5, ['a', 'b'])).toBe(false);
    expect(holdsAll({ a: { appliedSeq: 0, state: 'never-connected' } }, 0, ['a'])).toBe(false); // an empty leader is not synced with nobody
    expect(holdsAll({ a: { appliedSeq: 0, state: 'streaming' } }, 0, ['a'])).toBe(true);
    expect(holdsAll({ a: { appliedSeq: 9, state: 'disconnected' } }, 9, ['a'])).toBe(false);
  });
});
