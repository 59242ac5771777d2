/**
 * tidaldb/streams: WAL replication as RxJS pipelines.
 *
 *   leader:   sealTicks → gateSeals → sealedSegments → shipSegments ─┐
 *                                                                  │ LeaderTransport ▶ FollowerTransport (segments, status)
 *   follower: validateChecksum → idempotentReplay ◀────────────────┘
 *             └─ feedback (acks, resend requests) → replicationLag → ReplicationLagGauge
 *
 * This is the public API, what README.md and docs/jetstream.md document; the CLI and the demo
 * use more, through streams/internal.ts, which is not in package.json `exports`.
 * @module tidaldb/streams
 */
export type { Transport, LeaderTransport, FollowerTransport, PeerId, FollowerFeedback } from './transport.js';
export type { Shipment, CheckpointShipment } from './shipment.js';
export { InProcessTransport, type InProcessTransportOptions } from './transports/inProcessTransport.js';
export {
  FaultInjectingTransport, type FaultInjectingLeader, type Fault, type FaultCounts, type FaultInjectingOptions, type FaultPlanContext,
} from './transports/faultInjectingTransport.js';
export {
  TcpTransport, type TcpLeaderTransport, type TcpFollowerTransport, type TcpListenOptions, type TcpConnectOptions,
  type TcpTlsOptions, type TcpTransportEvent, type PemSource,
} from './transports/tcpTransport.js';
export type { TcpConnectOutcome } from './transports/tcpFollowerTransport.js';
export { JetStreamTransport, type JetStreamLeaderTransport, type JetStreamFollowerTransport, type JetStreamLeaderOptions, type JetStreamFollowerOptions, type JetStreamLinkState, type JetStreamTransportEvent, type NatsClientOptions } from './transports/jetStreamTransport.js';
export { WorkerTransport, type WorkerTransportOptions, type WorkerAttachment } from './transports/workerTransport.js';
export type { WorkerPort } from './transports/workerTransportMessages.js';
export { asTransport, type LeaderEnd, type FollowerEnd } from './transports/workerTransportEnds.js';
export { sealTicks } from './sealTicks.js';
export { sealedSegments, type SealingDb } from './sealedSegments.js';
export { shipSegments, type ShipEvent, type ShipFailure, type ShipSegmentsOptions, type ShippingDb } from './shipSegments.js';
export { validateChecksum, type VerifiedSegment, type SegmentRejection } from './validateChecksum.js';
export { idempotentReplay, type ReplayOutcome, type ReplayingDb } from './idempotentReplay.js';
export { replicationLag, type ReplicationLagInputs } from './replicationLag.js';
export type { LagReport } from './lagStep.js';
export { ReplicationLagGauge } from './replicationLagGauge.js';
export type { PipelineState, PipelineError } from './pipelineLifecycle.js';
export type { FollowerSet } from './followerSessions.js';
export { awaitQuorum, type QuorumAcked } from './awaitQuorum.js';
export type { QuorumAck, WaitForFollowersOptions } from './waitForFollowers.js';
export type { AckLevel } from './followerBookStep.js';
export { WalShipper, type LeaderOptions, type FollowerAck } from './walShipper.js';
export { startLeader, type LeaderHandle } from './startLeader.js';
export { startRelay } from './startRelay.js';
export { listenRelay } from './listenRelay.js';
export type { RelayOptions } from './relayOptions.js';
export { SegmentReceiver, startFollower, type FollowerOptions, type FollowerHandle, type FollowerLagView } from './segmentReceiver.js';
export { ingestSignals, type IngestRejection, type IngestSignalsOptions } from './ingestSignals.js';
export type { ReplicaWorker } from './replicaWorker.js';
export { startReplicaWorker } from './startReplicaWorker.js';
export type { ReplicaWorkerOptions } from './replicaWorkerOptions.js';
export type { ReplicaDbOptions } from './replicaWorkerMessages.js';
