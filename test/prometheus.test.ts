/**
 * db.metrics in the Prometheus text format: names, labels and values of a
 * scrape checked against db.metrics.snapshot() for a leader replicating to a
 * follower over an InProcessTransport.
 */
import { spawnSync } from 'node:child_process';
import { register as globalRegistry } from 'prom-client';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { blake3Implementation } from '../src/checksum.js';
import { FollowerDb, metricsText, prometheusRegistry, TidalDb, TidalError } from '../src/index.js';
import { prometheusName } from '../src/prometheus.js';
import { exportedAs } from '../src/prometheus.js';
import { type FollowerHandle, InProcessTransport, type LeaderHandle, startFollower, startLeader } from '../streams/index.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Scrape {
  readonly samples: Sample[];
  readonly types: Map<string, string>;
  readonly help: Map<string, string>;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parses the Prometheus text format (0.0.4), as much of it as prom-client writes. */
function parse(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const helpLine = /^# HELP (\S+) (.*)$/.exec(line);
    if (helpLine) {
      help.set(helpLine[1]!, helpLine[2]!);
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([^\s{]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types, help };
}

function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const same = (a: Readonly<Record<string, string>>) => Object.keys(a).length === Object.keys(labels).length
    && Object.entries(labels).every(([k, v]) => a[k] === v);
  const found = scrape.samples.filter((s) => s.name === name && same(s.labels));
  expect(found.length, `${name}${JSON.stringify(labels)} appears ${found.length} times`).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

interface Pair {
  leader: TidalDb;
  replica: TidalDb;
  transport: InProcessTransport;
  shipping: LeaderHandle;
  receiving: FollowerHandle;
}

let running: Pair | null = null;

afterEach(async () => {
  if (!running) return;
  running.shipping.stop();
  running.receiving.stop();
  running.transport.close();
  await running.leader.close();
  await running.replica.close();
  running = null;
});

async function replicatingPair(): Promise<Pair> {
  const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
  const replica = await FollowerDb.open();
  const transport = new InProcessTransport();
  const shipping = startLeader({ db: leader, transport, followers: ['f1'], shipIntervalMs: 50 });
  const receiving = startFollower({ db: replica, transport, peer: 'f1', feedbackIntervalMs: 50 });
  running = { leader, replica, transport, shipping, receiving };
  return running;
}

async function writeSignals(db: TidalDb, n: number): Promise<number> {
  let seq = 0;
  for (let i = 0; i < n; i++) seq = await db.signal({ itemId: `song-${i % 9}`, type: 'view' });
  return seq;
}

/** Resolves once the leader has heard `peer` applied `seq`. */
function caughtUp(shipping: LeaderHandle, peer: string, seq: number): Promise<unknown> {
  return firstValueFrom(shipping.lag$.pipe(filter((r) => (r[peer]?.appliedSeq ?? -1) >= seq && r[peer]!.events === 0), timeout(10_000)));
}

describe('prometheusRegistry', () => {
  it('exports every snapshot gauge and counter under a valid name, with its type and value', async () => {
    const { leader, replica, shipping } = await replicatingPair();
    const seq = await writeSignals(leader, 120);
    await replica.waitFor(seq, { timeoutMs: 10_000 });
    await caughtUp(shipping, 'f1', seq);
    // The counters the streams layer records (names from the issue), on top of what it has counted so far.
    const added = {
      'replication.shippedBytes': 4096, 'replication.shippedSegments': 3, 'replication.rejections.corrupt': 2,
      'replication.rejections.gap': 1, 'replication.reconnects': 1,
    };
    const expected = Object.fromEntries(Object.entries(added).map(([k, n]) => [k, leader.metrics.counter(k) + n]));
    for (const [k, n] of Object.entries(added)) leader.metrics.inc(k, n);

    const registry = prometheusRegistry(leader);
    const scraping = registry.metrics(); // takes its snapshot now, synchronously
    const snapshot = leader.metrics.snapshot();
    const scrape = parse(await scraping);

    for (const s of scrape.samples) expect(s.name).toMatch(NAME_RE);
    expect(Object.keys(snapshot.gauges)).toContain('writes.signals');
    for (const [kind, values] of [['gauge', snapshot.gauges], ['counter', snapshot.counters]] as const) {
      for (const [key, value] of Object.entries(values)) {
        const exported = exportedAs(kind, key);
        const name = `tidaldb_${exported.name}`;
        expect(scrape.types.get(name), name).toBe(exported.type);
        expect(valueOf(scrape, name, exported.labels), `${name} (${kind} '${key}')`).toBe(value * exported.scale);
      }
    }
    expect(valueOf(scrape, 'tidaldb_writes_signals_total')).toBe(120);
    expect(scrape.types.get('tidaldb_writes_signals_total')).toBe('counter');
    expect(valueOf(scrape, 'tidaldb_last_seq')).toBe(seq);
    expect(valueOf(scrape, 'tidaldb_replication_shipped_bytes_total')).toBe(expected['replication.shippedBytes']);
    expect(valueOf(scrape, 'tidaldb_replication_shipped_segments_total')).toBe(expected['replication.shippedSegments']);
    expect(valueOf(scrape, 'tidaldb_replication_rejections_total', { reason: 'corrupt' })).toBe(expected['replication.rejections.corrupt']);
    expect(valueOf(scrape, 'tidaldb_replication_rejections_total', { reason: 'gap' })).toBe(expected['replication.rejections.gap']);
    expect(valueOf(scrape, 'tidaldb_replication_reconnects_total')).toBe(expected['replication.reconnects']);
    expect(valueOf(scrape, 'tidaldb_exporter_name_collisions')).toBe(0);
    expect(valueOf(scrape, 'tidaldb_blake3_info', { implementation: blake3Implementation })).toBe(1);
    for (const name of scrape.types.keys()) expect(scrape.help.get(name), `HELP of ${name}`).toMatch(/\S/);
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('reports replication lag per follower in events and seconds, per stage, and the follower positions', async () => {
    const { leader, replica, shipping } = await replicatingPair();
    const seq = await writeSignals(leader, 50);
    await replica.waitFor(seq, { timeoutMs: 10_000 });
    await caughtUp(shipping, 'f1', seq);
    const registry = prometheusRegistry(leader);

    const caught = parse(await registry.metrics());
    expect(valueOf(caught, 'tidaldb_replication_lag_events', { peer: 'f1' })).toBe(0);
    expect(valueOf(caught, 'tidaldb_replication_lag_seconds', { peer: 'f1' })).toBe(0);
    expect(valueOf(caught, 'tidaldb_replication_applied_seq', { peer: 'f1' })).toBe(seq);
    for (const stage of ['ship', 'transport', 'apply']) {
      expect(valueOf(caught, 'tidaldb_replication_stage_lag_events', { peer: 'f1', stage })).toBe(0);
    }

    // Writes the follower has not seen yet: no seal tick can run between these synchronous steps.
    await writeSignals(leader, 7);
    const before = leader.metrics.snapshot();
    const scraping = registry.metrics();
    const after = leader.metrics.snapshot();
    const behind = parse(await scraping);
    const lag = before.followers['f1']!;
    expect(before.replicationLag['f1']).toBe(7);
    expect(valueOf(behind, 'tidaldb_replication_lag_events', { peer: 'f1' })).toBe(lag.events);
    const seconds = valueOf(behind, 'tidaldb_replication_lag_seconds', { peer: 'f1' })!;
    expect(seconds).toBeGreaterThanOrEqual(lag.ms / 1000);
    expect(seconds).toBeLessThanOrEqual(after.followers['f1']!.ms / 1000);
    for (const stage of ['ship', 'transport', 'apply'] as const) {
      expect(valueOf(behind, 'tidaldb_replication_stage_lag_events', { peer: 'f1', stage })).toBe(lag.stages[stage]);
    }
    expect(valueOf(behind, 'tidaldb_replication_stage_lag_events', { peer: 'f1', stage: 'ship' })).toBe(7);
    expect(valueOf(behind, 'tidaldb_replication_shipped_seq', { peer: 'f1' })).toBe(lag.shippedSeq);
    expect(valueOf(behind, 'tidaldb_replication_received_seq', { peer: 'f1' })).toBe(lag.receivedSeq);
    expect(valueOf(behind, 'tidaldb_last_seq')).toBe(seq + 7);
  });

  it('every follower in the set has a state from the start: 1 for the state it is in, 0 for the others', async () => {
    const leader = await TidalDb.open();
    await leader.signal({ itemId: 'a', type: 'view' });
    const shipping = startLeader({ db: leader, transport: new InProcessTransport(), followers: ['ghost'], shipIntervalMs: 10_000 });
    const scraped = parse(await prometheusRegistry(leader).metrics());
    expect(valueOf(scraped, 'tidaldb_replication_follower_state', { peer: 'ghost', state: 'never-connected' })).toBe(1);
    for (const state of ['catching-up', 'streaming', 'disconnected']) {
      expect(valueOf(scraped, 'tidaldb_replication_follower_state', { peer: 'ghost', state })).toBe(0);
    }
    expect(valueOf(scraped, 'tidaldb_replication_lag_events', { peer: 'ghost' })).toBe(1);
    // every per-follower metric lists it, not only its state
    const perPeer = ['lag_events', 'lag_seconds', 'shipped_seq', 'received_seq', 'applied_seq'].map((n) => `tidaldb_replication_${n}`);
    for (const name of perPeer) expect(valueOf(scraped, name, { peer: 'ghost' }), name).toBeTypeOf('number');
    for (const stage of ['ship', 'transport', 'apply']) {
      expect(valueOf(scraped, 'tidaldb_replication_stage_lag_events', { peer: 'ghost', stage }), stage).toBeTypeOf('number');
    }
    expect(valueOf(scraped, 'tidaldb_replication_applied_seq', { peer: 'ghost' })).toBe(0);
    await shipping.stop();
    await leader.close();
  });

  it('on a follower: no per-peer lag, and its staleness', async () => {
    const { leader, replica, shipping } = await replicatingPair();
    const seq = await writeSignals(leader, 10);
    await replica.waitFor(seq, { timeoutMs: 10_000 });
    await caughtUp(shipping, 'f1', seq);
    const scrape = parse(await metricsText(replica));
    expect(scrape.samples.filter((s) => s.name.startsWith('tidaldb_replication_lag'))).toEqual([]);
    expect(valueOf(scrape, 'tidaldb_last_seq')).toBe(seq);
    expect(scrape.samples.some((s) => s.name === 'tidaldb_staleness_ms')).toBe(false);
    const staleness = valueOf(scrape, 'tidaldb_staleness_seconds')!;
    expect(Number.isFinite(staleness)).toBe(true);
    expect(staleness).toBeGreaterThanOrEqual(0);
    expect(staleness).toBeLessThan(60); // seconds: a follower caught up a moment ago
    expect(valueOf(scrape, 'tidaldb_replay_segments_applied_total')).toBeGreaterThan(0);
  });

  it('picks up counters that first appear after it was made, and takes a prefix', async () => {
    const db = await TidalDb.open();
    const registry = prometheusRegistry(db, { prefix: 'shard7_' });
    expect(parse(await registry.metrics()).samples.some((s) => s.name === 'shard7_replication_reconnects_total')).toBe(false);
    db.metrics.inc('replication.reconnects', 2);
    db.metrics.set('custom.queueDepth', 5);
    const scrape = parse(await registry.metrics());
    expect(valueOf(scrape, 'shard7_replication_reconnects_total')).toBe(2);
    expect(valueOf(scrape, 'shard7_custom_queue_depth')).toBe(5);
    expect(scrape.samples.every((s) => s.name.startsWith('shard7_'))).toBe(true);
    expect((await registry.getMetricsAsJSON()).map((m) => m.name)).toContain('shard7_custom_queue_depth');
    await db.close();
  });

  it('counts a snapshot name whose Prometheus name is taken instead of exporting it twice', async () => {
    const db = await TidalDb.open();
    db.metrics.set('last_seq', 99); // sanitizes to the same name as the engine's lastSeq
    const scrape = parse(await metricsText(db));
    expect(scrape.samples.filter((s) => s.name === 'tidaldb_last_seq')).toHaveLength(1);
    expect(valueOf(scrape, 'tidaldb_exporter_name_collisions')).toBe(1);
    await db.close();
  });

  it('uses its own registry, never the global one, and refuses a prefix that is no Prometheus name', async () => {
    const db = await TidalDb.open();
    const globalBefore = globalRegistry.getMetricsAsArray().length;
    prometheusRegistry(db);
    prometheusRegistry(db); // a second registry of the same db does not clash with the first
    expect(globalRegistry.getMetricsAsArray().length).toBe(globalBefore);
    expect(() => prometheusRegistry(db, { prefix: '9lives-' })).toThrow(TidalError);
    await db.close();
  });

  it('turns dotted camelCase names into Prometheus names', () => {
    expect(prometheusName('writes.signals')).toBe('writes_signals');
    expect(prometheusName('lastSeq')).toBe('last_seq');
    expect(prometheusName('replication.shippedBytes')).toBe('replication_shipped_bytes');
    expect(prometheusName('replication.rejections.ChecksumMismatch')).toBe('replication_rejections_checksum_mismatch');
    expect(prometheusName('http.HTTPRequests')).toBe('http_http_requests');
    expect(prometheusName('a b/c-d')).toBe('a_b_c_d');
    expect(prometheusName('...')).toBe('unnamed');
  });
});

/** promtool from Prometheus, or null when it is not installed. */
function findPromtool(): string | null {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0 ? 'promtool' : null;
}

const PROMTOOL_MISSING = 'promtool not found: the `promtool check metrics` test is skipped. Install it with `apt-get install prometheus` (Debian/Ubuntu) '
  + 'or take promtool from a release at https://prometheus.io/download/ and put it on the PATH; .ci/run installs it.';

/** promtool's lint of an exposition: its exit status and whatever it printed (its findings). */
function promtoolCheck(promtool: string, text: string): { status: number | null; findings: string } {
  const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, findings: `${r.stdout}${r.stderr}`.trim() };
}

describe('promtool check metrics', () => {
  const promtool = findPromtool();
  if (promtool === null) console.warn(PROMTOOL_MISSING);

  it('finds nothing to fault in a leader\'s exposition (followers connected and never connected, every counter family) nor in a follower\'s', async (ctx) => {
    if (promtool === null) return ctx.skip(PROMTOOL_MISSING);
    const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
    const replica = await FollowerDb.open();
    const transport = new InProcessTransport();
    const shipping = startLeader({ db: leader, transport, followers: ['f1', 'ghost'], shipIntervalMs: 50 });
    const receiving = startFollower({ db: replica, transport, peer: 'f1', feedbackIntervalMs: 50 });
    running = { leader, replica, transport, shipping, receiving };
    const seq = await writeSignals(leader, 40);
    await replica.waitFor(seq, { timeoutMs: 10_000 });
    await caughtUp(shipping, 'f1', seq);
    // one of each name shape the streams layer and a user may record
    await shipping.waitForFollowers(seq, { count: 1, level: 'durable', timeoutMs: 10_000 });
    await expect(shipping.waitForFollowers(seq, { count: 2, level: 'applied', timeoutMs: 1 })).rejects.toMatchObject({ code: 'ReplicationTimeout' });
    leader.metrics.inc('replication.rejections.Corruption');
    leader.metrics.inc('replication.authFailures.badProof', 2);
    leader.metrics.inc('replication.shipFailures.Io');
    leader.metrics.inc('replication.connectionsClosed.ECONNRESET');
    leader.metrics.inc('replication.reconnects');
    leader.metrics.set('custom.flushLatencyMs', 12);
    leader.metrics.inc('custom.retries.total', 3);

    const leaderText = await metricsText(leader);
    expect(leaderText).toMatch(/^tidaldb_replication_lag_seconds\{peer="ghost"\} /m);
    expect(leaderText).toMatch(/^tidaldb_replication_auth_failures_total\{reason="bad_proof"\} 2$/m);
    expect(leaderText).toMatch(/^tidaldb_custom_flush_latency_seconds 0\.012$/m);
    expect(leaderText).toMatch(/^tidaldb_custom_retries_total 3$/m);
    expect(leaderText).toMatch(/^tidaldb_replication_quorum_waits_total\{level="durable",outcome="acked"\} 1$/m);
    expect(leaderText).toMatch(/^tidaldb_replication_quorum_waits_total\{level="applied",outcome="timeout"\} 1$/m);
    expect(leaderText).toMatch(/^tidaldb_replication_quorum_wait_seconds_bucket\{level="durable",le="\+Inf"\} 1$/m);
    expect(leaderText).toMatch(/^tidaldb_replication_quorum_wait_seconds_count\{level="applied"\} 1$/m);
    expect(promtoolCheck(promtool, leaderText)).toEqual({ status: 0, findings: '' });

    const followerText = await metricsText(replica);
    expect(followerText).toMatch(/^tidaldb_staleness_seconds /m);
    expect(promtoolCheck(promtool, followerText)).toEqual({ status: 0, findings: '' });
  });

  it('is a check that can fail: it faults names this exporter used in 0.1.0', (ctx) => {
    if (promtool === null) return ctx.skip(PROMTOOL_MISSING);
    const old = [
      '# HELP tidaldb_staleness_ms How far behind its leader this node may be, in ms.',
      '# TYPE tidaldb_staleness_ms gauge',
      'tidaldb_staleness_ms 10',
      '# HELP tidaldb_writes_signals Signals written on this node since open.',
      '# TYPE tidaldb_writes_signals counter',
      'tidaldb_writes_signals 2',
      '',
    ].join('\n');
    const { status, findings } = promtoolCheck(promtool, old);
    expect(status).not.toBe(0);
    expect(findings).toMatch(/tidaldb_staleness_ms/);
    expect(findings).toMatch(/tidaldb_writes_signals.*_total/);
  });
});

describe('exportedAs: where each snapshot name goes', () => {
  it('base units, _total on counters, a reason label per reason', () => {
    expect(exportedAs('gauge', 'lastSeq')).toMatchObject({ name: 'last_seq', type: 'gauge', labels: {}, scale: 1 });
    expect(exportedAs('gauge', 'wal.activeBytes')).toMatchObject({ name: 'wal_active_bytes', type: 'gauge' });
    expect(exportedAs('gauge', 'writes.signals')).toMatchObject({ name: 'writes_signals_total', type: 'counter' });
    expect(exportedAs('gauge', 'checkpoints.written')).toMatchObject({ name: 'checkpoints_written_total', type: 'counter' });
    expect(exportedAs('counter', 'replication.shippedBytes')).toMatchObject({ name: 'replication_shipped_bytes_total', type: 'counter' });
    expect(exportedAs('counter', 'replication.rejections.Corruption')).toMatchObject({ name: 'replication_rejections_total', labels: { reason: 'corruption' } });
    expect(exportedAs('counter', 'replication.authFailures.leaderProof')).toMatchObject({ name: 'replication_auth_failures_total', labels: { reason: 'leader_proof' } });
    expect(exportedAs('counter', 'replication.rejections')).toMatchObject({ name: 'replication_rejections_total', labels: {} });
    expect(exportedAs('gauge', 'queue.waitMs')).toMatchObject({ name: 'queue_wait_seconds', type: 'gauge', scale: 1 / 1000 });
    expect(exportedAs('counter', 'busyMs')).toMatchObject({ name: 'busy_seconds_total', scale: 1 / 1000 });
    expect(exportedAs('counter', 'retries.total')).toMatchObject({ name: 'retries_total' });
    for (const key of ['lastSeq', 'writes.signals', 'replication.reconnects', 'made.up']) {
      expect(exportedAs('counter', key).help).toMatch(/\S/);
    }
  });
});
