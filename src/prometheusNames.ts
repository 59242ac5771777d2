/**
 * How a `db.metrics` snapshot name is named in the Prometheus exposition
 * (pure); prometheus.ts builds the registry on it.
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
 */

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
export const QUORUM_WAIT_SECONDS_PREFIX = 'replication.quorumWaitSeconds.';

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

