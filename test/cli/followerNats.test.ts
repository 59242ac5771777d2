/**
 * `tidaldb follower --nats URL`: the follower reads its leader's segments
 * from NATS JetStream (a real nats-server on a free loopback port, started
 * here) instead of the leader's TCP port. The leader is the library's
 * `JetStreamTransport.leader` (`tidaldb leader --nats` is tested in leaderNats.test.ts).
 * Skips, saying how to install it, without nats-server; the usage checks
 * run everywhere.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { runFollower } from '../../streams/cli/follower.js';
import { runCli } from '../../streams/cli/runCli.js';
import { JetStreamTransport, startLeader } from '../../streams/index.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from '../bench/jetStreamServer.js';
import { freePort } from '../bench/redisServer.js';
import { tempDir } from '../db/tempDirs.js';
import { SMALL_STREAM, uniqueNames } from '../support/jetStreamCluster.js';
import { until } from '../support/until.js';
import { captureIo } from './captureIo.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

describe('tidaldb follower --nats: usage', () => {
  it('needs --connect or --nats, and refuses both, or --nats with --tls-* (exit 2, naming them), before opening anything', async () => {
    const neither = captureIo();
    expect(await runCli(['follower', '--dir', tempDir('cli-nats'), '--peer', 'f1'], neither)).toBe(2);
    expect(neither.stderr()).toMatch(/give --connect HOST:PORT \(over TCP\) or --nats URL \(over JetStream\)/);
    const both = captureIo();
    expect(await runCli(['follower', '--dir', tempDir('cli-nats'), '--connect', '127.0.0.1:7400', '--nats', 'nats://127.0.0.1:4222'], both)).toBe(2);
    expect(both.stderr()).toMatch(/--nats.*cannot be used with option '--connect/);
    const tls = captureIo();
    expect(await runCli(['follower', '--dir', tempDir('cli-nats'), '--nats', 'nats://127.0.0.1:4222', '--tls-ca', '/tmp/ca.pem'], tls)).toBe(2);
    expect(tls.stderr()).toMatch(/--tls-ca, --tls-cert and --tls-key are for --connect, not --nats/);
    const url = captureIo();
    expect(await runCli(['follower', '--dir', tempDir('cli-nats'), '--nats', 'nats://127.0.0.1:4222,bogus://x'], url)).toBe(2);
    expect(url.stderr()).toBe('error: follower: --nats "bogus://x": the scheme bogus:// is not nats:// or tls://\n');
    const help = captureIo();
    expect(await runCli(['help', 'follower'], help)).toBe(0);
    expect(help.stdout()).toMatch(/--nats <urls>[^]*--nats-stream <name>[^]*--nats-subject-prefix <prefix>/);
  });
});

if (!NATS_SERVER_AVAILABLE) {
  describe('tidaldb follower --nats', () => it.skip(NATS_SKIP_REASON, () => {}));
} else {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.close();
  });

  describe('tidaldb follower --nats', () => {
    it('follows a JetStream leader without a token, prints status, and keeps what it applied in its dir', async () => {
      const names = uniqueNames();
      const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
      cleanups.push(() => leader.close());
      const end = await JetStreamTransport.leader({ servers: nats.url, db: leader, ...names, ...SMALL_STREAM });
      cleanups.push(() => end.close());
      const shipping = startLeader({ db: leader, transport: end, followers: ['f1'], shipIntervalMs: 20 });
      cleanups.push(() => shipping.stop());
      for (let i = 0; i < 300; i++) await leader.signal({ itemId: `song-${i % 5}`, type: 'view' });
      const dir = tempDir('cli-nats');
      const io = captureIo();
      const stop = new AbortController();
      const running = runFollower({
        dir, nats: { servers: [nats.url], stream: names.stream, subjectPrefix: names.subjectPrefix }, peer: 'f1', token: undefined, statusIntervalMs: 50,
      }, io, { signal: stop.signal });
      const seq = leader.lastSeq.toLocaleString('en-US');
      await until(() => new RegExp(`applied ${seq}  leader ${seq}  lag 0 events`).test(io.stdout()), 'the replica to catch up', { show: [io] });
      expect(io.stdout()).toContain(`follower "f1" of ${nats.url}, replica ${dir} at seqno 0\n`);
      expect(io.stdout()).toMatch(/^connected to nats:\/\/127\.0\.0\.1:\d+$/m);
      await until(() => leader.metrics.snapshot().replicationLag['f1'] === 0, 'the leader to hear the follower\'s ack');
      stop.abort();
      expect(await running).toBe(0);
      expect(io.stderr()).toBe('');
      const reopened = await FollowerDb.open({ dir });
      try {
        expect(reopened.lastSeq).toBe(leader.lastSeq);
        const at = Date.now();
        expect(reopened.retrieve({ signal: 'view', limit: 5, at })).toEqual(leader.retrieve({ signal: 'view', limit: 5, at }));
      } finally {
        await reopened.close();
      }
    });

    it('NATS unreachable at start: exit 1 naming the servers, unless --wait-for-leader, which retries and follows once NATS is up', async () => {
      const down = NatsServer.create(await freePort());
      cleanups.push(() => down.close());
      const io = captureIo();
      const code = await runFollower({ dir: tempDir('cli-nats'), nats: { servers: [down.url] }, peer: 'f1', token: undefined }, io, { signal: new AbortController().signal });
      expect(code).toBe(1);
      expect(io.stderr()).toMatch(new RegExp(`follower: cannot connect to ${down.url.replace(/[.]/g, '\\.')}: no JetStream session`));

      const names = uniqueNames();
      const dir = tempDir('cli-nats');
      const waiting = captureIo();
      const stop = new AbortController();
      const running = runFollower({
        dir, nats: { servers: [down.url], ...names }, peer: 'f1', token: undefined, statusIntervalMs: 50, waitForLeader: true,
      }, waiting, { signal: stop.signal });
      await until(() => /disconnected/.test(waiting.stdout()), 'a status line saying disconnected', { show: [waiting] });
      await down.restart();
      const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
      cleanups.push(() => leader.close());
      const end = await JetStreamTransport.leader({ servers: down.url, db: leader, ...names, ...SMALL_STREAM });
      cleanups.push(() => end.close());
      const shipping = startLeader({ db: leader, transport: end, followers: ['f1'], shipIntervalMs: 20 });
      cleanups.push(() => shipping.stop());
      for (let i = 0; i < 50; i++) await leader.signal({ itemId: `song-${i % 5}`, type: 'view' });
      await until(() => leader.metrics.snapshot().replicationLag['f1'] === 0, 'the follower to catch up once NATS is up', { show: [waiting] });
      stop.abort();
      expect(await running).toBe(0);
    });
  });
}
