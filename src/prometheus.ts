/**
 * Prometheus exposition of `db.metrics`: a prom-client `Registry` of its
 * own (never the global one) whose metrics read `db.metrics.snapshot()` when
 * scraped. Nothing is copied on writes; a scrape costs one snapshot.
 *
 * What it exports, with the default prefix `tidaldb_`:
 * - every snapshot gauge as a gauge, its dotted camelCase name made a valid
 *   Prometheus name: `writes.signals` → `tidaldb_writes_signals`,
 *   `lastSeq` → `tidaldb_last_seq`;
 * - every snapshot counter as a counter with `_total`:
 *   `replication.shippedBytes` → `tidaldb_replication_shipped_bytes_total`,
 *   `replication.rejections.corrupt` → `tidaldb_replication_rejections_corrupt_total`;
 * - per follower (leader only): `replication_lag_events{peer}`,
 *   `replication_lag_ms{peer}`, `replication_stage_lag_events{peer,stage}`
 *   and the follower's `replication_{shipped,received,applied}_seq{peer}`;
 * - `staleness_ms`: how far behind its leader this node may be (0 on a leader);
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
import { Counter, Gauge, Registry } from 'prom-client';
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
const KNOWN_HELP: Readonly<Record<string, string>> = {
  lastSeq: 'Highest seqno written (leader) or applied (follower).',
  'writes.signals': 'Signals written on this node since open.',
  'writes.items': 'Item writes on this node since open.',
  'wal.sealedSegments': 'Sealed WAL segments held by this node.',
  'wal.activeBytes': 'Bytes in the active (unsealed) WAL segment.',
  'replay.segmentsApplied': 'Shipped segments that applied new events (followers).',
  'replay.segmentsSkipped': 'Shipped segments skipped as already applied (followers).',
  'replay.eventsSkipped': 'Events skipped as already applied (followers).',
  'recovery.tornTails': '1 if open cut a torn tail off the active segment, else 0.',
  'replication.shippedBytes': 'Segment bytes handed to the transport.',
  'replication.shippedSegments': 'Segments handed to the transport.',
  'replication.reconnects': 'Transport reconnections.',
};

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

/** A Registry whose metrics share one snapshot per scrape and that grows as new snapshot names appear. */
class SnapshotRegistry extends Registry {
  /** The snapshot of the scrape in progress; collect() falls back to a fresh one outside a scrape. */
  private scrape: MetricsSnapshot | null = null;
  /** Snapshot names already considered, as `counter:<name>` / `gauge:<name>`. */
  private readonly seen = new Set<string>();
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
    perPeer('replication_lag_events', 'Leader lastSeq minus the seqno the follower reports applied, in events.', (l) => l.events);
    perPeer('replication_lag_ms', 'Age of the oldest event the follower has not applied, in ms (0 when caught up).', (l) => l.ms);
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
    this.gauge(`${p}staleness_ms`, 'How far behind its leader this node may be, in ms (0 on a leader, +Inf on a follower that never caught up).', [],
      function collect() {
        this.set(db.stalenessMs());
      });
    const registry = this;
    this.gauge(`${p}exporter_name_collisions`, 'Snapshot names not exported because their Prometheus name was taken.', [], function collect() {
      this.set(registry.collisions);
    });
  }

  /** Registers a counter or gauge for each snapshot name not seen before. */
  private addNew(snapshot: MetricsSnapshot): void {
    for (const key of Object.keys(snapshot.counters)) {
      if (this.isNew(`counter:${key}`)) this.addCounter(key);
    }
    for (const key of Object.keys(snapshot.gauges)) {
      if (this.isNew(`gauge:${key}`)) this.addGauge(key);
    }
  }

  private isNew(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    return true;
  }

  private addCounter(key: string): void {
    const name = `${this.prefix}${prometheusName(key)}_total`;
    if (this.taken(name)) return;
    const read = (): MetricsSnapshot => this.read();
    new Counter({
      name, help: KNOWN_HELP[key] ?? `db.metrics counter '${key}'.`, registers: [this],
      collect() {
        const value = read().counters[key] ?? 0;
        if (!(value >= 0) || !Number.isFinite(value)) {
          throw new TidalError('InvalidInput', `db.metrics counter '${key}' is ${value}: a counter must be a finite number >= 0`);
        }
        this.reset();
        this.inc(value);
      },
    });
  }

  private addGauge(key: string): void {
    const name = `${this.prefix}${prometheusName(key)}`;
    if (this.taken(name)) return;
    const read = (): MetricsSnapshot => this.read();
    this.gauge(name, KNOWN_HELP[key] ?? `db.metrics gauge '${key}'.`, [], function collect() {
      this.set(read().gauges[key] ?? 0);
    });
  }

  private taken(name: string): boolean {
    if (this.getSingleMetric(name) === undefined) return false;
    this.collisions++;
    return true;
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect: (this: Gauge<L>) => void): void {
    new Gauge<L>({ name, help, labelNames, registers: [this], collect });
  }
}
