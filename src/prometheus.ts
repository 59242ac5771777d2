/**
 * Prometheus exposition of `db.metrics`: a prom-client `Registry` of its
 * own (never the global one) whose metrics read `db.metrics.snapshot()` when
 * scraped. Nothing is copied on writes; a scrape costs one snapshot.
 *
 * Names follow Prometheus's conventions, so `promtool check metrics` passes
 * them: base units (seconds, bytes), `_total` on every counter, HELP on
 * every metric, a label rather than a name per reason. With the default
 * prefix `tidaldb_`:
 * - every snapshot gauge as a gauge, its dotted camelCase name made a valid
 *   Prometheus name: `wal.activeBytes` → `tidaldb_wal_active_bytes`,
 *   `lastSeq` → `tidaldb_last_seq`;
 * - every snapshot counter, and every snapshot gauge that counts since open
 *   (`writes.signals`, `replay.*`, `checkpoints.*`, `wal.merges`,
 *   `wal.mergeFailures`), as a counter with `_total`:
 *   `replication.shippedBytes` → `tidaldb_replication_shipped_bytes_total`,
 *   `writes.signals` → `tidaldb_writes_signals_total`;
 * - counters kept per reason (`replication.rejections.<reason>`,
 *   `replication.authFailures.<reason>`, `replication.shipFailures.<reason>`,
 *   `replication.connectionsClosed.<reason>`) as one counter each with a
 *   `reason` label: `replication.rejections.Corruption` →
 *   `tidaldb_replication_rejections_total{reason="corruption"}`;
 * - a snapshot name in ms (`…Ms`) in seconds: `fooMs` → `foo_seconds`, value / 1000;
 * - per follower in the set (leader only), from the start, a follower that
 *   never connected included: `replication_lag_events{peer}`,
 *   `replication_lag_seconds{peer}`, `replication_stage_lag_events{peer,stage}`,
 *   `replication_follower_state{peer,state}` and the follower's
 *   `replication_{shipped,received,applied}_seq{peer}`;
 * - quorum waits (leader, `waitForFollowers`): `replication_quorum_waits_total{level,outcome}`
 *   (outcome `acked`, `timeout`, `closed`, `cancelled`: the timeouts are
 *   `outcome="timeout"`) and the histogram `replication_quorum_wait_seconds{level}`,
 *   read from the counters `replication.quorumWaits.<level>.<outcome>` and
 *   `replication.quorumWaitSeconds.<level>.{le.<bound>,sum,count}`;
 * - `staleness_seconds`: how far behind its leader this node may be (0 on a leader);
 * - `blake3_info{implementation}`: 1, labelled with the BLAKE3 in use
 *   (`hash-wasm`, or `noble` where WebAssembly is unavailable or
 *   `TIDALDB_BLAKE3=noble`);
 * - `exporter_name_collisions`: snapshot names left out because their
 *   Prometheus name was already taken (the first one keeps it).
 *
 * Counters and gauges that first appear in the snapshot after the registry
 * was made are registered at the next scrape through `metrics()` or
 * `getMetricsAsJSON()`.
 *
 * @example
 * const registry = prometheusRegistry(db);
 * const text = await registry.metrics();
 * // # HELP tidaldb_last_seq Highest seqno written (leader) or applied (follower).
 * // # TYPE tidaldb_last_seq gauge
 * // tidaldb_last_seq 1042
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { blake3Implementation } from './checksum.js';
import { TidalError } from './errors.js';
import type { FollowerState, MetricsSnapshot } from './metrics.js';
import type { TidalDb } from './db/tidalDb.js';

const FOLLOWER_STATES: readonly FollowerState[] = ['never-connected', 'catching-up', 'streaming', 'disconnected'];

export interface PrometheusOptions {
  /** Prepended to every metric name as is. Default `tidaldb_`. Must be a valid Prometheus name start (or empty). */
  readonly prefix?: string;
}

/** The prefix of every exported name unless `options.prefix` says otherwise. */
export const DEFAULT_METRICS_PREFIX = 'tidaldb_';

/** HELP text of the snapshot names tidaldb itself sets; any other name gets a generic one. */
const KNOWN_HELP: ReadonlyMap<string, string> = new Map([
  ['lastSeq', 'Highest seqno written (leader) or applied (follower).'],
  ['writes.signals', 'Signals written on this node since open.'],
  ['writes.items', 'Item writes on this node since open.'],
  ['wal.sealedSegments', 'Sealed WAL segments held by this node.'],
  ['wal.activeBytes', 'Bytes in the active (unsealed) WAL segment.'],
  ['wal.sealedBytes', 'Bytes in the sealed WAL segments held by this node.'],
  ['wal.merges', 'Merges of small sealed segments into one since open.'],
  ['wal.mergeFailures', 'Segment merges that failed since open (the segments stay as they were).'],
  ['replay.segmentsApplied', 'Shipped segments that applied new events (followers), since open.'],
  ['replay.segmentsSkipped', 'Shipped segments skipped as already applied (followers), since open.'],
  ['replay.eventsSkipped', 'Events skipped as already applied (followers), since open.'],
  ['recovery.tornTails', '1 if open cut a torn tail off the active segment, else 0.'],
  ['checkpoints.written', 'Checkpoints written since open.'],
  ['checkpoints.byBytes', 'Checkpoints written because the bytes no checkpoint covers passed checkpointAfterBytes, since open.'],
  ['checkpoints.failures', 'Checkpoints that failed to write since open.'],
  ['replication.shippedBytes', 'Segment and checkpoint bytes handed to the transport.'],
  ['replication.shippedSegments', 'Segments handed to the transport.'],
  ['replication.shippedCheckpoints', 'Checkpoints handed to the transport for followers behind retention.'],
  ['replication.resendRequests', 'Re-send requests from followers (a gap or a rejected segment).'],
  ['replication.checkpointFailures', 'Checkpoints that failed to ship (leader) or install (follower).'],
  ['replication.reconnects', 'Transport reconnections.'],
  ['replication.connections', 'Follower connections the leader accepted.'],
]);

/**
 * Snapshot gauges that count up from 0 at open: Prometheus counters (so
 * `rate()` and `increase()` handle the reset at a restart).
 */
const COUNTS_SINCE_OPEN: ReadonlySet<string> = new Set([
  'writes.signals', 'writes.items', 'replay.segmentsApplied', 'replay.segmentsSkipped', 'replay.eventsSkipped',
  'checkpoints.written', 'checkpoints.byBytes', 'checkpoints.failures', 'wal.merges', 'wal.mergeFailures',
]);

/** Snapshot counters kept one name per reason, exported as one counter with a `reason` label. */
const PER_REASON: ReadonlyArray<{ readonly prefix: string; readonly name: string; readonly help: string }> = [
  { prefix: 'replication.rejections.', name: 'replication_rejections_total', help: 'Shipments a follower refused, by reason (the error code).' },
  { prefix: 'replication.authFailures.', name: 'replication_auth_failures_total', help: 'Handshakes that failed authentication, by reason.' },
  { prefix: 'replication.shipFailures.', name: 'replication_ship_failures_total', help: 'Shipments the leader failed to hand over, by reason (the error code).' },
  { prefix: 'replication.connectionsClosed.', name: 'replication_connections_closed_total', help: 'Follower connections the leader saw close with an error, by reason.' },
];

/** Quorum waits, one counter per level and outcome: `replication.quorumWaits.<level>.<outcome>`. */
const QUORUM_WAITS_PREFIX = 'replication.quorumWaits.';
/** The quorum wait histogram's counters, exported as one histogram (never one by one). */
const QUORUM_WAIT_SECONDS_PREFIX = 'replication.quorumWaitSeconds.';

const PROMETHEUS_PREFIX_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)?$/;

/**
 * A valid Prometheus name part for a snapshot name: camelCase to snake_case,
 * any run of other characters to one `_`. `replication.shippedBytes` →
 * `replication_shipped_bytes`.
 */
export function prometheusName(key: string): string {
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return snake === '' ? 'unnamed' : snake;
}

/** How one snapshot name is exported: the metric (without prefix), its type, its labels, and the factor its value is scaled by. */
export interface ExportedName {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  /** `{}`, or `{ reason }` for a counter kept per reason. */
  readonly labels: Readonly<Record<string, string>>;
  /** 1, or 1/1000 for a value in ms exported in seconds. */
  readonly scale: number;
  readonly help: string;
}

/**
 * Where snapshot counter or gauge `key` goes in the exposition. Pure:
 * `exportedAs('gauge', 'writes.signals')` →
 * `{ name: 'writes_signals_total', type: 'counter', labels: {}, scale: 1, … }`.
 */
export function exportedAs(kind: 'counter' | 'gauge', key: string): ExportedName {
  if (kind === 'counter' && key.startsWith(QUORUM_WAITS_PREFIX)) {
    const [level = '', outcome = ''] = key.slice(QUORUM_WAITS_PREFIX.length).split('.');
    if (level !== '' && outcome !== '') {
      return {
        name: 'replication_quorum_waits_total', type: 'counter', labels: { level: prometheusName(level), outcome: prometheusName(outcome) }, scale: 1,
        help: 'Quorum waits (waitForFollowers) by level and how they ended: acked, timeout (committed on the leader, not rolled back), closed, cancelled.',
      };
    }
  }
  if (kind === 'counter') {
    const family = PER_REASON.find((f) => key.startsWith(f.prefix) && key.length > f.prefix.length);
    if (family) return { name: family.name, type: 'counter', labels: { reason: prometheusName(key.slice(family.prefix.length)) }, scale: 1, help: family.help };
  }
  const type = kind === 'counter' || COUNTS_SINCE_OPEN.has(key) ? 'counter' : 'gauge';
  let base = prometheusName(key).replace(/_total$/, '');
  let scale = 1;
  if (base === 'ms' || base.endsWith('_ms')) {
    base = `${base.slice(0, -2)}seconds`;
    scale = 1 / 1000;
  }
  const help = KNOWN_HELP.get(key) ?? `db.metrics ${kind} '${key}'${scale === 1 ? '' : ', in seconds'}.`;
  return { name: type === 'counter' ? `${base}_total` : base, type, labels: {}, scale, help };
}

/**
 * A registry of `db`'s metrics, read from `db.metrics.snapshot()` at scrape
 * time. Serve `await registry.metrics()` with `registry.contentType`.
 *
 * @param options.prefix prepended to every name (default `tidaldb_`).
 */
export function prometheusRegistry(db: TidalDb, options: PrometheusOptions = {}): Registry {
  const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
  if (typeof prefix !== 'string' || !PROMETHEUS_PREFIX_RE.test(prefix)) {
    throw new TidalError('InvalidInput', `prefix must match [a-zA-Z_][a-zA-Z0-9_]* (or be empty), got ${JSON.stringify(prefix)}`);
  }
  return new SnapshotRegistry(db, prefix);
}

/** `db.metrics` in the Prometheus text format (version 0.0.4), from a fresh registry. */
export function metricsText(db: TidalDb, options: PrometheusOptions = {}): Promise<string> {
  return prometheusRegistry(db, options).metrics();
}

/** One snapshot name inside an exported metric. */
interface Member {
  readonly kind: 'counter' | 'gauge';
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly scale: number;
}

/** An exported metric made of snapshot names: its type, label names, and which label sets are taken. */
interface Family {
  readonly type: 'counter' | 'gauge';
  readonly labelNames: string;
  readonly members: Map<string, Member>;
}

/** A Registry whose metrics share one snapshot per scrape and that grows as new snapshot names appear. */
class SnapshotRegistry extends Registry {
  /** The snapshot of the scrape in progress; collect() falls back to a fresh one outside a scrape. */
  private scrape: MetricsSnapshot | null = null;
  /** Snapshot names already considered, as `counter:<name>` / `gauge:<name>`. */
  private readonly seen = new Set<string>();
  /** Metrics made of snapshot names, by full Prometheus name. */
  private readonly families = new Map<string, Family>();
  private collisions = 0;

  constructor(private readonly db: TidalDb, private readonly prefix: string) {
    super();
    this.registerFixed();
  }

  override async metrics(): Promise<string> {
    return this.duringScrape(() => super.metrics());
  }

  override async getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    return this.duringScrape(() => super.getMetricsAsJSON());
  }

  private async duringScrape<T>(read: () => Promise<T>): Promise<T> {
    const snapshot = this.db.metrics.snapshot();
    this.addNew(snapshot);
    this.scrape = snapshot;
    try {
      return await read();
    } finally {
      if (this.scrape === snapshot) this.scrape = null;
    }
  }

  private read(): MetricsSnapshot {
    return this.scrape ?? this.db.metrics.snapshot();
  }

  /** The metrics that do not depend on which names the snapshot holds. */
  private registerFixed(): void {
    const p = this.prefix;
    const read = (): MetricsSnapshot => this.read();
    const perPeer = (name: string, help: string, value: (lag: MetricsSnapshot['followers'][string]) => number): void => {
      this.gauge(`${p}${name}`, help, ['peer'], function collect() {
        this.reset();
        for (const [peer, lag] of Object.entries(read().followers)) this.set({ peer }, value(lag));
      });
    };
    perPeer('replication_lag_events', 'Leader lastSeq minus the seqno the follower reports applied, in events (the whole lastSeq for a follower never heard from).', (l) => l.events);
    perPeer('replication_lag_seconds', 'Age of the oldest event the follower has not applied, in seconds (0 when caught up).', (l) => l.ms / 1000);
    perPeer('replication_shipped_seq', 'Highest seqno the leader has handed to the transport for the follower.', (l) => l.shippedSeq);
    perPeer('replication_received_seq', 'Highest seqno the follower reports received and validated.', (l) => l.receivedSeq);
    perPeer('replication_applied_seq', 'Highest seqno the follower reports applied (durable there).', (l) => l.appliedSeq);
    this.gauge(`${p}replication_follower_state`, 'Each follower in the set: 1 for its state now (never-connected, catching-up, streaming, disconnected), 0 for the others.',
      ['peer', 'state'], function collect() {
        this.reset();
        for (const [peer, lag] of Object.entries(read().followers)) {
          for (const state of FOLLOWER_STATES) this.set({ peer, state }, lag.state === state ? 1 : 0);
        }
      });
    this.gauge(`${p}replication_stage_lag_events`, 'Lag per stage in events: ship (leader to transport), transport (to received), apply (received to applied).',
      ['peer', 'stage'], function collect() {
        this.reset();
        for (const [peer, lag] of Object.entries(read().followers)) {
          for (const stage of ['ship', 'transport', 'apply'] as const) this.set({ peer, stage }, lag.stages[stage]);
        }
      });
    const db = this.db;
    this.gauge(`${p}staleness_seconds`, 'How far behind its leader this node may be, in seconds (0 on a leader, +Inf on a follower that never caught up).', [],
      function collect() {
        this.set(db.stalenessMs() / 1000);
      });
    this.gauge(`${p}blake3_info`, 'Always 1; the label names the BLAKE3 in use: hash-wasm (WebAssembly), or noble (@noble/hashes, pure JS) where WebAssembly is unavailable or TIDALDB_BLAKE3=noble.',
      ['implementation'], function collect() {
        this.reset();
        this.set({ implementation: blake3Implementation }, 1);
      });
    this.registerMetric(quorumWaitHistogram(`${p}replication_quorum_wait_seconds`, read));
    const registry = this;
    this.gauge(`${p}exporter_name_collisions`, 'Snapshot names not exported because their Prometheus name was taken.', [], function collect() {
      this.set(registry.collisions);
    });
  }

  /** Registers each snapshot name not seen before into its metric, creating the metric on first use. */
  private addNew(snapshot: MetricsSnapshot): void {
    for (const key of Object.keys(snapshot.counters)) {
      if (key.startsWith(QUORUM_WAIT_SECONDS_PREFIX)) continue; // the histogram reads them (registerFixed)
      if (this.isNew(`counter:${key}`)) this.add('counter', key);
    }
    for (const key of Object.keys(snapshot.gauges)) {
      if (this.isNew(`gauge:${key}`)) this.add('gauge', key);
    }
  }

  private isNew(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    return true;
  }

  private add(kind: 'counter' | 'gauge', key: string): void {
    const exported = exportedAs(kind, key);
    const name = `${this.prefix}${exported.name}`;
    const labelNames = Object.keys(exported.labels);
    const labelSet = JSON.stringify(exported.labels);
    let family = this.families.get(name);
    if (family === undefined) {
      if (this.getSingleMetric(name) !== undefined) return this.collided();
      family = { type: exported.type, labelNames: labelNames.join(','), members: new Map() };
      this.families.set(name, family);
      this.register(name, exported, labelNames, family.members);
    } else if (family.type !== exported.type || family.labelNames !== labelNames.join(',') || family.members.has(labelSet)) {
      return this.collided();
    }
    family.members.set(labelSet, { kind, key, labels: exported.labels, scale: exported.scale });
  }

  private collided(): void {
    this.collisions++;
  }

  /** A prom-client metric whose collect() sets every member from the scrape's snapshot. */
  private register(name: string, exported: ExportedName, labelNames: string[], members: ReadonlyMap<string, Member>): void {
    const read = (): MetricsSnapshot => this.read();
    const valueOf = (m: Member): number => ((m.kind === 'counter' ? read().counters[m.key] : read().gauges[m.key]) ?? 0) * m.scale;
    if (exported.type === 'gauge') {
      this.gauge(name, exported.help, labelNames, function collect() {
        this.reset();
        for (const m of members.values()) this.set(m.labels, valueOf(m));
      });
      return;
    }
    new Counter({
      name, help: exported.help, labelNames, registers: [this],
      collect() {
        this.reset();
        for (const m of members.values()) {
          const value = valueOf(m);
          if (!(value >= 0) || !Number.isFinite(value)) {
            throw new TidalError('InvalidInput', `db.metrics ${m.kind} '${m.key}' is ${value}: a counter must be a finite number >= 0`);
          }
          this.inc(m.labels, value);
        }
      },
    });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect: (this: Gauge<L>) => void): void {
    new Gauge<L>({ name, help, labelNames, registers: [this], collect });
  }
}

/**
 * The histogram of quorum wait seconds per level, from the snapshot's
 * cumulative bucket counters: a prom-client metric whose get() builds the
 * `_bucket`, `_sum` and `_count` samples (prom-client's own Histogram can
 * only observe, not be set from counts kept elsewhere).
 */
function quorumWaitHistogram(name: string, read: () => MetricsSnapshot): Metric {
  const help = 'Time quorum waits (waitForFollowers) took, by level, in seconds, whatever their outcome.';
  const get = () => {
    const levels = new Map<string, { buckets: Map<number, number>; sum: number; count: number }>();
    for (const [key, value] of Object.entries(read().counters)) {
      if (!key.startsWith(QUORUM_WAIT_SECONDS_PREFIX)) continue;
      const rest = key.slice(QUORUM_WAIT_SECONDS_PREFIX.length);
      const dot = rest.indexOf('.');
      if (dot <= 0) continue;
      const level = prometheusName(rest.slice(0, dot));
      const part = rest.slice(dot + 1);
      const h = levels.get(level) ?? { buckets: new Map<number, number>(), sum: 0, count: 0 };
      levels.set(level, h);
      if (part === 'sum') h.sum = value;
      else if (part === 'count') h.count = value;
      else if (part.startsWith('le.') && Number.isFinite(Number(part.slice(3)))) h.buckets.set(Number(part.slice(3)), value);
    }
    const values: Array<{ value: number; labels: Record<string, string | number>; metricName: string }> = [];
    for (const [level, h] of levels) {
      // A bound no wait has fallen under yet has no counter: it holds what the bound below it holds (cumulative), or 0.
      let below = 0;
      for (const bound of [...h.buckets.keys()].sort((a, b) => a - b)) {
        below = Math.max(below, h.buckets.get(bound) ?? 0);
        values.push({ value: below, labels: { level, le: bound }, metricName: `${name}_bucket` });
      }
      values.push({ value: h.count, labels: { level, le: '+Inf' }, metricName: `${name}_bucket` });
      values.push({ value: h.sum, labels: { level }, metricName: `${name}_sum` });
      values.push({ value: h.count, labels: { level }, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  return { name, help, type: 'histogram', get, reset: () => undefined, labelNames: ['level', 'le'], aggregator: 'sum' } as unknown as Metric;
}
