/**
 * Internal entry point of the reactive layer: what the CLI (streams/cli) and the demo
 * (streams/demo) use beyond the public API. Not in package.json `exports`; nothing here is covered
 * by semver. The public API is streams/index.ts.
 * @internal
 * @module
 */
export type { Transport, LeaderTransport, FollowerTransport, PeerId, FollowerFeedback } from './transport.js';
export { type Shipment, type CheckpointShipment, isCheckpoint, shipmentLastSeq, checkpointShipment } from './shipment.js';
export { installCheckpoint$, type CheckpointOutcome, type InstallingDb } from './installCheckpoint.js';
export { InProcessTransport, type InProcessTransportOptions } from './transports/inProcessTransport.js';
export { DEFAULT_CHANNEL_CAPACITY } from './defaults.js';
export { BoundedChannel } from './transports/boundedChannel.js';
export { seededRandom } from './seededRandom.js';
export {
  FaultInjectingTransport, flipBit, type Fault, type FaultCounts, type FaultInjectingOptions, type FaultPlanContext,
} from './transports/faultInjectingTransport.js';
export {
  TcpTransport, TcpLeaderTransport, TcpFollowerTransport, backoffDelayMs, type TcpListenOptions, type TcpConnectOptions,
  type TcpTlsOptions, type TcpTransportEvent, type PemSource,
} from './transports/tcpTransport.js';
export { JetStreamTransport, JetStreamLeaderTransport, JetStreamFollowerTransport, type JetStreamLeaderOptions, type JetStreamFollowerOptions, type JetStreamLinkState, type JetStreamTransportEvent, type NatsClientOptions } from './transports/jetStreamTransport.js';
export { sealTicks } from './sealTicks.js';
export { gateSeals, sealGateStep, followerCanTakeSegment, type SealGateState, type SealGateEvent, type FollowerPosition, type SealPace } from './gateSeals.js';
export { periodicCheckpoints, type CheckpointingDb, type CheckpointMark } from './periodicCheckpoints.js';
export { DEFAULT_CHECKPOINT_INTERVAL_MS } from './defaults.js';
export { sealedSegments, type SealingDb } from './sealedSegments.js';
export { shipSegments, type ShipEvent, type ShipFailure, type ShipSegmentsOptions, type ShippingDb } from './shipSegments.js';
export { DEFAULT_RETRANSMIT_AFTER_MS } from './defaults.js';
export { followerCursorStep, emptyFollowerCursor, type FollowerCursor, type FollowerCursorEvent } from './followerCursorStep.js';
export {
  followerBookStep, emptyFollowerBook, retentionFloor, followersBehind, type FollowerBook, type FollowerBookEvent,
} from './followerBookStep.js';
export { followerSessions, type FollowerSet, type FollowerSession } from './followerSessions.js';
export { validateChecksum, verifySegment, type VerifiedSegment, type SegmentRejection } from './validateChecksum.js';
export { receiverFeedbackStep, emptyReceiverFeedback, type ReceiverFeedback, type ReceiverEvent } from './receiverFeedbackStep.js';
export { idempotentReplay, type ReplayOutcome, type ReplayingDb } from './idempotentReplay.js';
export { replicationLag, replicationLagState, type ReplicationLagInputs } from './replicationLag.js';
export { lagStep, lagReport, lagMs, emptyLagState, type LagEvent, type LagInput, type LagReport, type LagState, type PeerPosition, type Sample } from './lagStep.js';
export { MAX_LAG_SAMPLES, DEFAULT_DISCONNECTED_AFTER_MS } from './defaults.js';
export type { PipelineState, PipelineError } from './pipelineLifecycle.js';
export { ReplicationLagGauge } from './replicationLagGauge.js';
export { awaitQuorum, type QuorumAcked } from './awaitQuorum.js';
export { waitForFollowers$, type QuorumAck, type QuorumSource, type WaitForFollowersOptions } from './waitForFollowers.js';
export { WalShipper, type LeaderOptions, type FollowerAck, DEFAULT_SHIP_INTERVAL_MS } from './walShipper.js';
export { startLeader, type LeaderHandle } from './startLeader.js';
export {
  SegmentReceiver, startFollower, type FollowerOptions, type FollowerHandle, type FollowerLagView, DEFAULT_FEEDBACK_INTERVAL_MS,
} from './segmentReceiver.js';
export { FollowerDb } from '../src/internal.js';
export { serveMetrics, type MetricsServer, type ServeMetricsOptions } from './cli/serveMetrics.js';
export { ingestSignals, type IngestRejection, type IngestSignalsOptions } from './ingestSignals.js';
export { DEFAULT_INGEST_MAX_BATCH, DEFAULT_INGEST_MAX_DELAY_MS } from './defaults.js';
export { WorkerTransport, type WorkerTransportOptions, type WorkerAttachment } from './transports/workerTransport.js';
export { DEFAULT_WORKER_CAPACITY } from './defaults.js';
export { WorkerTransportFollower, type WorkerTransportFollowerOptions } from './transports/workerTransportFollower.js';
export { asTransport, type LeaderEnd, type FollowerEnd } from './transports/workerTransportEnds.js';
export { CreditWindow } from './transports/workerTransportWindow.js';
export type { WorkerPort } from './transports/workerTransportMessages.js';
export { ReplicaWorker } from './replicaWorker.js';
export { startReplicaWorker } from './startReplicaWorker.js';
export { type ReplicaWorkerOptions } from './replicaWorkerOptions.js';
export { DEFAULT_MAX_IN_FLIGHT_REQUESTS, DEFAULT_START_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS } from './defaults.js';
export type { ReplicaDbOptions } from './replicaWorkerMessages.js';
