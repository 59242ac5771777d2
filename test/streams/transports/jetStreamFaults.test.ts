/**
 * JetStreamTransport when the NATS server itself fails: down when the ends
 * start, and killed (SIGKILL) mid-stream. Both ends report 'disconnected'
 * (state$, the replication.transportConnected gauge), retry with capped
 * exponential backoff and full jitter (counted in replication.reconnects),
 * the leader shows the follower as disconnected in its lag, and replication
 * converges once the server is back. Skips, saying how to install it,
 * without nats-server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, metricsText, TidalDb } from '../../../src/index.js';
import { JetStreamTransport, type JetStreamLinkState, type JetStreamTransportEvent, startFollower, startLeader } from '../../../streams/index.js';
import { backoffDelayMs } from '../../../streams/transports/tcpTransport.js';
import { freePort } from '../../bench/redisServer.js';
import { HALF_LIVES, snapshotOf, until, writeSignals } from '../../acceptance/harness.js';
import { FAST_JETSTREAM, SMALL_STREAM, uniqueNames } from '../../support/jetStreamCluster.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from '../../bench/jetStreamServer.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A leader and one follower over JetStream at `url`, with their ends' states and events recorded. */
async function pair(url: string) {
  const names = uniqueNames();
  const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
  const follower = await FollowerDb.open();
  cleanup.push(() => leader.close(), () => follower.close());
  const leaderEnd = await JetStreamTransport.leader({ servers: url, db: leader, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM });
  const followerEnd = await JetStreamTransport.follower({ servers: url, db: follower, peer: 'f1', ...names, ...FAST_JETSTREAM });
  cleanup.push(() => leaderEnd.close(), () => followerEnd.close());
  const record = (end: { state$: import('rxjs').Observable<JetStreamLinkState>; events$: import('rxjs').Observable<JetStreamTransportEvent> }) => {
    const states: JetStreamLinkState[] = [];
    const events: JetStreamTransportEvent[] = [];
    end.state$.subscribe((s) => states.push(s));
    end.events$.subscribe((e) => events.push(e));
    return { states, events, last: () => states.at(-1) };
  };
  const start = () => {
    const shipping = startLeader({ db: leader, transport: leaderEnd, followers: ['f1'], shipIntervalMs: 20, disconnectedAfterMs: 500 });
    const receiving = startFollower({ db: follower, transport: followerEnd, peer: 'f1', feedbackIntervalMs: 50 });
    cleanup.push(() => shipping.stop(), () => receiving.stop());
  };
  return { leader, follower, leaderEnd, followerEnd, leaderLink: record(leaderEnd), followerLink: record(followerEnd), start };
}

function gauge(db: TidalDb): number | undefined {
  return db.metrics.snapshot().gauges['replication.transportConnected'];
}

function reconnects(db: TidalDb): number {
  return db.metrics.snapshot().counters['replication.reconnects'] ?? 0;
}

/** Reconnect waits as reported: attempts counting up one by one, each wait under its backoff ceiling. */
function checkBackoff(events: JetStreamTransportEvent[]): void {
  const waits = events.filter((e): e is Extract<JetStreamTransportEvent, { kind: 'reconnecting' }> => e.kind === 'reconnecting');
  expect(waits.length).toBeGreaterThanOrEqual(3);
  const first = waits[0]!.attempt;
  waits.slice(0, 3).forEach((w, i) => {
    expect(w.attempt).toBe(first + i);
    expect(w.delayMs).toBeLessThan(backoffDelayMs(first + i, 0.999_999, FAST_JETSTREAM.reconnectBaseMs, FAST_JETSTREAM.reconnectCapMs) + 1);
  });
}

if (!NATS_SERVER_AVAILABLE) {
  describe('JetStreamTransport when NATS fails', () => it.skip(NATS_SKIP_REASON, () => {}));
} else {
  describe('JetStreamTransport when NATS fails', () => {
    it('NATS down at start: both ends open anyway, report disconnected and retry with backoff; once it is up they connect and replicate', async () => {
      const server = NatsServer.create(await freePort());
      cleanup.push(() => server.close());
      const p = await pair(server.url);
      expect(p.leaderLink.last()).toBe('disconnected');
      expect(p.followerLink.last()).toBe('disconnected');
      const waits = (link: { events: JetStreamTransportEvent[] }) => link.events.filter((e) => e.kind === 'reconnecting').length;
      await until(() => waits(p.followerLink) >= 3 && waits(p.leaderLink) >= 3, 'three reconnect waits on each end', { timeoutMs: 5_000, pollMs: 5 });
      expect(p.followerLink.events.find((e) => e.kind === 'closed')).toMatchObject({
        error: { code: 'Closed', message: expect.stringMatching(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/) },
      });
      checkBackoff(p.followerLink.events);
      checkBackoff(p.leaderLink.events);
      expect(reconnects(p.follower)).toBeGreaterThanOrEqual(3);
      expect(gauge(p.follower)).toBe(0);
      expect(gauge(p.leader)).toBe(0);
      p.start();
      const last = await writeSignals(p.leader, 300); // sends wait while NATS is down
      await new Promise((r) => setTimeout(r, 200));
      expect(p.follower.lastSeq).toBe(0);
      await server.restart();
      await p.follower.waitFor(last, { timeoutMs: 10_000 });
      expect(snapshotOf(p.follower)).toEqual(snapshotOf(p.leader));
      expect(p.leaderLink.last()).toBe('connected');
      expect(p.followerLink.last()).toBe('connected');
      expect(gauge(p.follower)).toBe(1);
      expect(gauge(p.leader)).toBe(1);
    });

    it('NATS lost mid-stream: both ends report disconnected, the leader shows the follower disconnected, and they converge once it is back', async () => {
      const server = await NatsServer.start();
      cleanup.push(() => server.close());
      const p = await pair(server.url);
      p.start();
      const first = await writeSignals(p.leader, 300);
      await p.follower.waitFor(first, { timeoutMs: 5_000 });
      const reconnectsBefore = reconnects(p.follower);
      await server.kill(); // SIGKILL: no goodbye on the sockets' other end but the kernel's
      await until(() => p.leaderLink.last() === 'disconnected' && p.followerLink.last() === 'disconnected', 'both ends disconnected', { timeoutMs: 5_000, pollMs: 5 });
      expect(gauge(p.follower)).toBe(0);
      expect(gauge(p.leader)).toBe(0);
      const last = await writeSignals(p.leader, 300, 100, 300);
      await until(() => p.leader.metrics.snapshot().followers['f1']?.state === 'disconnected', 'the leader to show f1 disconnected', { timeoutMs: 5_000, pollMs: 5 });
      await until(() => reconnects(p.follower) >= reconnectsBefore + 3, 'the follower retrying', { timeoutMs: 5_000, pollMs: 5 });
      // The same, as Prometheus scrapes it: both ends down, the follower retrying, the leader showing it disconnected.
      const followerText = await metricsText(p.follower);
      expect(followerText).toMatch(/^tidaldb_replication_transport_connected 0$/m);
      expect(Number(/^tidaldb_replication_reconnects_total (\d+)$/m.exec(followerText)?.[1])).toBeGreaterThanOrEqual(reconnectsBefore + 3);
      const leaderText = await metricsText(p.leader);
      expect(leaderText).toMatch(/^tidaldb_replication_transport_connected 0$/m);
      expect(leaderText).toMatch(/^tidaldb_replication_follower_state\{peer="f1",state="disconnected"\} 1$/m);
      checkBackoff(p.followerLink.events.slice(p.followerLink.events.findIndex((e) => e.kind === 'closed')));
      await server.restart(); // the same store: the stream and the follower's consumer are still there
      await p.follower.waitFor(last, { timeoutMs: 10_000 });
      expect(snapshotOf(p.follower)).toEqual(snapshotOf(p.leader));
      await until(() => p.leader.metrics.snapshot().followers['f1']?.state === 'streaming', 'f1 streaming again', { timeoutMs: 5_000, pollMs: 5 });
      expect(p.followerLink.last()).toBe('connected');
    });

    it('a follower that starts before its leader (no stream yet) reports disconnected and retries until the leader has made the stream', async () => {
      const server = await NatsServer.start();
      cleanup.push(() => server.close());
      const names = uniqueNames();
      const follower = await FollowerDb.open();
      const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES });
      cleanup.push(() => leader.close(), () => follower.close());
      const followerEnd = await JetStreamTransport.follower({ servers: server.url, db: follower, peer: 'f1', ...names, ...FAST_JETSTREAM });
      cleanup.push(() => followerEnd.close());
      const events: JetStreamTransportEvent[] = [];
      followerEnd.events$.subscribe((e) => events.push(e));
      const states: JetStreamLinkState[] = [];
      followerEnd.state$.subscribe((st) => states.push(st));
      expect(states.at(-1)).toBe('disconnected');
      await until(() => events.some((e) => e.kind === 'closed' && /stream not found/i.test(e.reason)), 'a session refused for want of the stream', { timeoutMs: 5_000, pollMs: 5 });
      const leaderEnd = await JetStreamTransport.leader({ servers: server.url, db: leader, ...names, ...FAST_JETSTREAM, ...SMALL_STREAM });
      cleanup.push(() => leaderEnd.close());
      const shipping = startLeader({ db: leader, transport: leaderEnd, followers: ['f1'], shipIntervalMs: 20 });
      const receiving = startFollower({ db: follower, transport: followerEnd, peer: 'f1', feedbackIntervalMs: 50 });
      cleanup.push(() => shipping.stop(), () => receiving.stop());
      await follower.waitFor(await writeSignals(leader, 200), { timeoutMs: 10_000 });
      expect(states.at(-1)).toBe('connected');
    });
  });
}
