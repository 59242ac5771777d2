/**
 * tidaldb: an embeddable database of items and time-decaying engagement
 * signals over a durable, segmented, BLAKE3-checksummed write-ahead log.
 * The reactive replication layer is `tidaldb/streams`.
 *
 * This is the public API, what README.md documents; the CLI and the demo use more, through
 * src/internal.ts, which is not in package.json `exports`.
 * @module tidaldb
 */
export { TidalDb } from './db/tidalDb.js';
export { FollowerDb } from './db/followerDb.js';
export type { TidalDbOptions, WalOptions } from './db/options.js';
export type { SignalInput, ItemInput } from './db/validateWrite.js';
export type { RetrieveQuery, SearchQuery, Scored } from './db/queries.js';
export type { Item } from './items/itemStore.js';
export type { HalfLives, HalfLifeOption } from './ledger/halfLives.js';
export type { CheckpointSource, Replication, ReplicationSource, ReplicationTarget, StoredCheckpoint } from './db/replicationSource.js';
export type { RecoveryReport } from './db/recoverDatabase.js';
export type { TornTail } from './wal/dropAfterUnsealed.js';
export type { ApplyResult } from './db/applySegment.js';
export type { GroupOutcome, VerifiedPayload } from './db/replicaSide.js';
export type { LeaderStatus } from './db/freshness.js';
export type { Wal, Durability } from './wal/wal.js';
export type { WalSegmentPayload, SealedSegmentInfo } from './wal/walSegmentPayload.js';
export type { SegmentStore, ActiveSegment, SegmentBytes } from './wal/segmentStore.js';
export type { WalEvent, SignalEvent, ItemEvent } from './events.js';
export { Checksum } from './checksum.js';
export {
  TidalError, WalError, ReplicationTimeoutError, type TidalErrorCode, type WalErrorCode, type ReplicationTimeoutDetails,
} from './errors.js';
export type { MetricsState, MetricsSnapshot, FollowerLag, FollowerState } from './metrics.js';
export { prometheusRegistry, metricsText, type PrometheusOptions } from './prometheus.js';
