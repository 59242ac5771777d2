/**
 * MetricsState: counters and gauges of one database, read with `snapshot()`.
 * Plain numbers, no I/O; exporters (Prometheus, logs) read the snapshot.
 */

/** Per-follower replication lag as the lag gauge last saw it. */
/**
 * Where a follower in the leader's set stands, as PostgreSQL's
 * pg_stat_replication.state does: never heard from; connected and draining
 * the backlog it had when it (re)connected; caught up with that backlog and
 * following; or silent for longer than the leader waits (`disconnectedAfterMs`).
 */
export type FollowerState = 'never-connected' | 'catching-up' | 'streaming' | 'disconnected';

/** One follower's lag as the leader sees it: events and ms behind, by stage, and its state. */
export interface FollowerLag {
  readonly state: FollowerState;
  /**
   * leader lastSeq - follower applied seqno, in events. For a follower never
   * heard from, the leader's whole lastSeq: it is never 0 while unknown unless
   * the leader holds nothing.
   */
  readonly events: number;
  /** Age of the oldest event the follower has not applied, in ms (0 when caught up). */
  readonly ms: number;
  /** Highest seqno the leader has handed to the transport for this follower. */
  readonly shippedSeq: number;
  /** Highest seqno the follower reports received (validated, not yet necessarily applied). */
  readonly receivedSeq: number;
  /** Highest seqno the follower reports applied (and durable there). */
  readonly appliedSeq: number;
  /** Lag per stage, in events: leader→shipped, shipped→received, received→applied. */
  readonly stages: { readonly ship: number; readonly transport: number; readonly apply: number };
}

/** A copy of `db.metrics` at one instant: counters, gauges, and lag per follower. */
export interface MetricsSnapshot {
  readonly counters: Readonly<Record<string, number>>;
  readonly gauges: Readonly<Record<string, number>>;
  /** Lag in events per follower peer id (leader only): `replicationLag[peer]`. */
  readonly replicationLag: Readonly<Record<string, number>>;
  /** The full per-follower view behind `replicationLag`. */
  readonly followers: Readonly<Record<string, FollowerLag>>;
}

/** A database's counters and gauges (`db.metrics`); `snapshot()` copies them, `prometheusRegistry(db)` exports them. */
export class MetricsState {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private followerLag: () => Readonly<Record<string, FollowerLag>> = () => ({});
  private readonly collectors: Array<() => Record<string, number>> = [];

  /** Adds gauges computed at snapshot time (cheaper than setting them on every write). */
  addCollector(collect: () => Record<string, number>): void {
    this.collectors.push(collect);
  }

  /** Adds `by` (default 1) to counter `name`. */
  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  /** Sets gauge `name`. */
  set(name: string, value: number): void {
    this.gauges.set(name, value);
  }

  /** The value of a counter, 0 if it never moved. */
  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  /** The value of a gauge, or undefined if it was never set. */
  gauge(name: string): number | undefined {
    return this.gauges.get(name);
  }

  /** Where per-follower lag comes from, computed at snapshot time (the ReplicationLagGauge sets it). */
  setFollowerLagSource(source: () => Readonly<Record<string, FollowerLag>>): void {
    this.followerLag = source;
  }

  /** A copy of every counter, gauge and follower view, taken now. */
  snapshot(): MetricsSnapshot {
    const replicationLag: Record<string, number> = {};
    const followers: Record<string, FollowerLag> = {};
    for (const [peer, lag] of Object.entries(this.followerLag())) {
      replicationLag[peer] = lag.events;
      followers[peer] = lag;
    }
    const gauges: Record<string, number> = Object.fromEntries(this.gauges);
    for (const collect of this.collectors) Object.assign(gauges, collect());
    return {
      counters: Object.fromEntries(this.counters),
      gauges,
      replicationLag,
      followers,
    };
  }
}
