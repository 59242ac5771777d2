/**
 * Prometheus exposition of `db.metrics`: a prom-client `Registry` of its
 * own (never the global one) whose metrics read `db.metrics.snapshot()` when
 * scraped. Nothing is copied on writes; a scrape costs one snapshot.
 *
 * Names follow Prometheus's conventions, so `promtool check metrics` passes
 * them (base units, `_total` on counters, HELP on every metric, a `reason`
 * label per reason); how each snapshot name maps is in prometheusNames.ts.
 * Beside the snapshot's own names, with the default prefix `tidaldb_`:
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
import { Counter, Gauge, Registry } from 'prom-client';
import { blake3Implementation } from './checksum.js';
import { TidalError } from './errors.js';
import type { FollowerState, MetricsSnapshot } from './metrics.js';
import type { TidalDb } from './db/tidalDb.js';
import { exportedAs, type ExportedName, QUORUM_WAIT_SECONDS_PREFIX } from './prometheusNames.js';
import { quorumWaitHistogram } from './quorumWaitHistogram.js';

const FOLLOWER_STATES: readonly FollowerState[] = ['never-connected', 'catching-up', 'streaming', 'disconnected'];

/** The options of `prometheusRegistry` and `metricsText`. */
export interface PrometheusOptions {
  /** Prepended to every metric name as is. Default `tidaldb_`. Must be a valid Prometheus name start (or empty). */
  readonly prefix?: string;
}

export { exportedAs, type ExportedName, prometheusName } from './prometheusNames.js';

/** The prefix of every exported name unless `options.prefix` says otherwise. */
export const DEFAULT_METRICS_PREFIX = 'tidaldb_';

const PROMETHEUS_PREFIX_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)?$/;

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
