/**
 * `tidaldb leader --nats URL`: the leader ships through NATS JetStream
 * (docs/jetstream.md) instead of listening on TCP, so both ends of a
 * JetStream deployment run from the command line (`tidaldb follower --nats`
 * is the other). A real nats-server on a free loopback port, started here;
 * skips, saying how to install it, without one. The usage checks run
 * everywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { runFollower } from '../../streams/cli/follower.js';
import { runLeader } from '../../streams/cli/leader.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from '../bench/jetStreamServer.js';
import { freePort } from '../bench/redisServer.js';
import { tempDir } from '../db/tempDirs.js';
import { uniqueNames } from '../support/jetStreamCluster.js';
import { until } from '../support/until.js';
import { captureIo } from './captureIo.js';
import { cli } from './cliRun.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

describe('tidaldb leader --nats: usage', () => {
  it('--listen and --nats together, or --nats with a TCP listener flag, are usage errors (exit 2) before anything opens', async () => {
    const dir = path.join(tempDir('cli-nats-leader'), 'leader');
    const both = await cli('leader', '--dir', dir, '--follower', 'f1', '--listen', '127.0.0.1:0', '--nats', 'nats://127.0.0.1:4222');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--nats.*cannot be used with option '--listen/);
    const tls = await cli('leader', '--dir', dir, '--follower', 'f1', '--nats', 'nats://127.0.0.1:4222', '--tls-cert', 'c.pem', '--tls-key', 'k.pem');
    expect(tls).toMatchObject({ code: 2, err: 'error: leader: --tls-cert, --tls-key, --tls-ca and --insecure are for --listen, not --nats\n' });
    const insecure = await cli('leader', '--dir', dir, '--follower', 'f1', '--nats', 'nats://127.0.0.1:4222', '--insecure');
    expect(insecure.code).toBe(2);
    expect(fs.existsSync(dir)).toBe(false);
    // Values no retry can fix are usage errors: a leader would otherwise retry them for ever.
    for (const [flags, message] of [
      [['--nats', 'not a url'], '--nats "not a url": not a server address: give nats://HOST:PORT'],
      [['--nats', 'http://127.0.0.1:4222'], '--nats "http://127.0.0.1:4222": the scheme http:// is not nats:// or tls://'],
      [['--nats', 'nats://127.0.0.1:4222', '--nats-stream', 'a.b'], '--nats-stream: stream must be 1..200 letters, digits, \'_\' or \'-\', got "a.b"'],
      [['--nats', 'nats://127.0.0.1:4222', '--nats-subject-prefix', 'a b'], '--nats-subject-prefix: subjectPrefix must be dot-separated tokens'],
    ] as const) {
      const bad = await cli('leader', '--dir', dir, '--follower', 'f1', ...flags);
      expect(bad.code, flags.join(' ')).toBe(2);
      expect(bad.err).toContain(`error: leader: ${message}`);
    }
    const help = await cli('help', 'leader');
    expect(help.out).toMatch(/--nats <urls>[^]*--nats-stream <name>[^]*--nats-subject-prefix <prefix>/);
  });
});

if (!NATS_SERVER_AVAILABLE) {
  describe('tidaldb leader --nats', () => it.skip(NATS_SKIP_REASON, () => {}));
} else {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.close();
  });

  describe('tidaldb leader --nats', () => {
    it('ingests NDJSON (a bad line skipped), ships it through JetStream to a `tidaldb follower --nats`, and exits 0 once it is synced; the two dirs answer alike', async () => {
      const names = uniqueNames();
      const root = tempDir('cli-nats-leader');
      const input = path.join(root, 'in.ndjson');
      const at = Date.now() - 60_000;
      const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ signal: { itemId: `song-${i % 7}`, type: 'view', at: at + i } }));
      lines.splice(20, 0, '{"signal": {"itemId": ""}}');
      fs.writeFileSync(input, `${lines.join('\n')}\n`);
      const followerIo = captureIo();
      const stopFollower = new AbortController();
      const following = runFollower({
        dir: path.join(root, 'follower'), nats: { servers: [nats.url], ...names }, peer: 'f1', token: undefined, statusIntervalMs: 50, waitForLeader: true,
      }, followerIo, { signal: stopFollower.signal });
      cleanups.push(async () => { stopFollower.abort(); await following; });
      const leaderIo = captureIo();
      const code = await runLeader({
        dir: path.join(root, 'leader'), nats: { servers: [nats.url], ...names }, followers: ['f1'], token: undefined,
        ingest: input, exitWhenSynced: true, shipIntervalMs: 20, statusIntervalMs: 50,
      }, leaderIo, { signal: new AbortController().signal });
      expect(code, leaderIo.stderr()).toBe(0);
      expect(leaderIo.stdout()).toMatch(new RegExp(`leader of .* at seqno 0, publishing to NATS stream ${names.stream} at ${nats.url.replace(/[.]/g, '\\.')} for "f1"`));
      expect(leaderIo.stdout()).toMatch(/ingest .* done, 41 lines: 40 written, 1 bad line skipped/);
      expect(leaderIo.stdout()).toMatch(/every follower holds seqno 40; exiting \(--exit-when-synced\)/);
      expect(leaderIo.stderr()).toMatch(/^warning: ingest .* line 21: .*itemId.*; skipped$/m);
      await until(() => / applied 40 /.test(followerIo.stdout()), 'the follower to report seqno 40', { show: [followerIo] });
      stopFollower.abort();
      expect(await following).toBe(0);
      const leader = await TidalDb.open({ dir: path.join(root, 'leader') });
      const replica = await FollowerDb.open({ dir: path.join(root, 'follower') });
      try {
        expect(replica.lastSeq).toBe(40);
        const q = { signal: 'view', limit: 10, at: at + 1000 };
        expect(replica.retrieve(q)).toEqual(leader.retrieve(q));
      } finally {
        await replica.close();
        await leader.close();
      }
    });

    it('NATS down at start: the leader warns, keeps running and retrying, ships once NATS is up, and exits 0 when synced', async () => {
      const down = NatsServer.create(await freePort());
      cleanups.push(() => down.close());
      const names = uniqueNames();
      const root = tempDir('cli-nats-leader');
      const input = path.join(root, 'in.ndjson');
      fs.writeFileSync(input, `${Array.from({ length: 10 }, (_, i) => JSON.stringify({ signal: { itemId: `song-${i % 3}`, type: 'view' } })).join('\n')}\n`);
      const leaderIo = captureIo();
      const leading = runLeader({
        dir: path.join(root, 'leader'), nats: { servers: [down.url], ...names }, followers: ['f1'], token: undefined,
        ingest: input, exitWhenSynced: true, shipIntervalMs: 20, statusIntervalMs: 50,
      }, leaderIo, { signal: new AbortController().signal });
      await until(() => /no JetStream session at .* yet \(NATS down or unreachable\)/.test(leaderIo.stderr()), 'the leader to warn that NATS is down', { show: [leaderIo] });
      await until(() => /ingest .* done, 10 lines: 10 written/.test(leaderIo.stdout()), 'the ingest to be written while NATS is down', { show: [leaderIo] });
      await down.restart();
      const followerIo = captureIo();
      const stopFollower = new AbortController();
      const following = runFollower({
        dir: path.join(root, 'follower'), nats: { servers: [down.url], ...names }, peer: 'f1', token: undefined, statusIntervalMs: 50, waitForLeader: true,
      }, followerIo, { signal: stopFollower.signal });
      cleanups.push(async () => { stopFollower.abort(); await following; });
      expect(await leading, leaderIo.stderr()).toBe(0);
      expect(leaderIo.stdout()).toMatch(/^connected to NATS at (nats:\/\/)?127\.0\.0\.1:\d+$/m);
      expect(leaderIo.stdout()).toMatch(/every follower holds seqno 10; exiting/);
    }, 60_000);
  });
}
