/**
 * Internal entry point of the engine: what the CLI (streams/cli), the demo (streams/demo) and
 * the benchmarks use beyond the public API. Not in package.json `exports`, so an app cannot import
 * it; nothing here is covered by semver. The public API is src/index.ts.
 * @internal
 * @module
 */
export { TidalDb } from './db/tidalDb.js';
export type { CheckpointSource, Replication, ReplicationSource, ReplicationTarget, StoredCheckpoint } from './db/replicationSource.js';
export type { RecoveryReport } from './db/recoverDatabase.js';
export type { ApplyResult } from './db/applySegment.js';
export { FollowerDb } from './db/followerDb.js';
export type { TidalDbOptions, WalOptions } from './db/options.js';
export type { SignalInput, ItemInput } from './db/validateWrite.js';
export type { RetrieveQuery, SearchQuery, Scored } from './db/queries.js';
export type { LeaderStatus } from './db/freshness.js';
export {
  TidalError, WalError, ReplicationTimeoutError, type TidalErrorCode, type WalErrorCode, type ReplicationTimeoutDetails,
} from './errors.js';
export { Checksum } from './checksum.js';
export { MetricsState, type MetricsSnapshot, type FollowerLag, type FollowerState } from './metrics.js';
export type { Item } from './items/itemStore.js';
export type { WalEvent, SignalEvent, ItemEvent } from './events.js';
export type { HalfLives, HalfLifeOption } from './ledger/halfLives.js';
export type { Wal, Durability } from './wal/wal.js';
export type { WalSegmentPayload, SealedSegmentInfo } from './wal/walSegmentPayload.js';
export type { TornTail, WalRecovery } from './wal/openWal.js';
export { decodeSegment, type DecodedSegment, type DecodedBatch } from './wal/decodeSegment.js';
export { ownedPayload, verifyPayload } from './wal/verifyPayload.js';
export { segmentFileName, checkpointFileName, type SegmentStore, type ActiveSegment } from './wal/segmentStore.js';
export * as limits from './limits.js';
export { integerOption, rejectUnknownOptions, invalidOption } from './optionChecks.js';
export { prometheusRegistry, metricsText, prometheusName, type PrometheusOptions, DEFAULT_METRICS_PREFIX } from './prometheus.js';
export { parseSegmentFileName, parseCheckpointFileName } from './wal/segmentStore.js';
export { decodeCheckpoint } from './db/checkpoint.js';
export { BATCH_HEADER_BYTES } from './wal/batch.js';
export { FOOTER_BYTES } from './wal/segmentFooter.js';
export { hasIntactBatchFrom } from './wal/decodeSegment.js';
export { decodeSegmentHeader, type SegmentHeader } from './wal/segmentHeader.js';
export { hasWholeSegmentFrom, packFileName, parsePackFileName, splitPack, splitWritten } from './wal/segmentPack.js';
