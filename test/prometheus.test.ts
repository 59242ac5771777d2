/**
 * db.metrics in the Prometheus text format: names, labels and values of a
 * scrape checked against db.metrics.snapshot() for a leader replicating to a
 * follower over an InProcessTransport.
 */
import { register as globalRegistry } from 'prom-client';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, metricsText, prometheusName, prometheusRegistry, TidalDb, TidalError } from '../src/index.js';
import { type FollowerHandle, InProcessTransport, type LeaderHandle, startFollower, startLeader } from '../streams/index.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Scrape {
  readonly samples: Sample[];
  readonly types: Map<string, string>;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parses the Prometheus text format (0.0.4), as much of it as prom-client writes. */
function parse(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge)$/.exec(line);
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
  return { samples, types };
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
    for (const [key, value] of Object.entries(snapshot.gauges)) {
      const name = `tidaldb_${prometheusName(key)}`;
      expect(scrape.types.get(name), name).toBe('gauge');
      expect(valueOf(scrape, name), name).toBe(value);
    }
    for (const [key, value] of Object.entries(snapshot.counters)) {
      const name = `tidaldb_${prometheusName(key)}_total`;
      expect(scrape.types.get(name), name).toBe('counter');
      expect(valueOf(scrape, name), name).toBe(value);
    }
    expect(valueOf(scrape, 'tidaldb_writes_signals')).toBe(120);
    expect(valueOf(scrape, 'tidaldb_last_seq')).toBe(seq);
    expect(valueOf(scrape, 'tidaldb_replication_shipped_bytes_total')).toBe(expected['replication.shippedBytes']);
    expect(valueOf(scrape, 'tidaldb_replication_shipped_segments_total')).toBe(expected['replication.shippedSegments']);
    expect(valueOf(scrape, 'tidaldb_replication_rejections_corrupt_total')).toBe(expected['replication.rejections.corrupt']);
    expect(valueOf(scrape, 'tidaldb_replication_rejections_gap_total')).toBe(expected['replication.rejections.gap']);
    expect(valueOf(scrape, 'tidaldb_replication_reconnects_total')).toBe(expected['replication.reconnects']);
    expect(valueOf(scrape, 'tidaldb_exporter_name_collisions')).toBe(0);
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('reports replication lag per follower in events and ms, per stage, and the follower positions', async () => {
    const { leader, replica, shipping } = await replicatingPair();
    const seq = await writeSignals(leader, 50);
    await replica.waitFor(seq, { timeoutMs: 10_000 });
    await caughtUp(shipping, 'f1', seq);
    const registry = prometheusRegistry(leader);

    const caught = parse(await registry.metrics());
    expect(valueOf(caught, 'tidaldb_replication_lag_events', { peer: 'f1' })).toBe(0);
    expect(valueOf(caught, 'tidaldb_replication_lag_ms', { peer: 'f1' })).toBe(0);
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
    const ms = valueOf(behind, 'tidaldb_replication_lag_ms', { peer: 'f1' })!;
    expect(ms).toBeGreaterThanOrEqual(lag.ms);
    expect(ms).toBeLessThanOrEqual(after.followers['f1']!.ms);
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
    const staleness = valueOf(scrape, 'tidaldb_staleness_ms')!;
    expect(Number.isFinite(staleness)).toBe(true);
    expect(staleness).toBeGreaterThanOrEqual(0);
    expect(valueOf(scrape, 'tidaldb_replay_segments_applied')).toBeGreaterThan(0);
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
