import { Checksum, type WalSegmentPayload } from '../src/index.js';

/**
 * A leader's checkpoint on its way to a follower that is behind what the
 * leader retains: installed first, then the segments after it follow.
 * `checksum` is the BLAKE3-256 of exactly `bytes` (the checkpoint file).
 */
export interface CheckpointShipment {
  readonly kind: 'checkpoint';
  readonly shardId: number;
  /** Every event up to this seqno is in it. */
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly checksum: Checksum;
}

/** What travels from leader to follower, in order: sealed segments, and now and then a checkpoint. */
export type Shipment = WalSegmentPayload | CheckpointShipment;

export function isCheckpoint(s: Shipment): s is CheckpointShipment {
  return (s as CheckpointShipment).kind === 'checkpoint';
}

/** The highest seqno a shipment brings a follower to. */
export function shipmentLastSeq(s: Shipment): number {
  return isCheckpoint(s) ? s.seq : s.lastSeq;
}

export function checkpointShipment(shardId: number, seq: number, bytes: Uint8Array): CheckpointShipment {
  return { kind: 'checkpoint', shardId, seq, bytes, checksum: Checksum.of(bytes) };
}
