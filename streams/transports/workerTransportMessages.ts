/**
 * What crosses a worker transport's MessagePort, and how a shipment is put
 * on it: pure functions, no I/O.
 *
 *   leader → follower:  { t: 'shipment', shipment }   at most `capacity` not yet credited
 *                       { t: 'status', status }       lossy: the next one supersedes it
 *   follower → leader:  { t: 'credit', n }            n shipments taken: n more may come
 *                       { t: 'feedback', feedback }   acks and re-send requests
 *
 * A shipment's bytes are transferred, not copied by the structured clone:
 * `encodeShipment` copies them once into a buffer of their exact size and
 * lists that buffer for transfer. The leader's own bytes stay where they
 * are: its WAL keeps them for re-sends and for every other follower, so
 * they cannot be handed over (transferring detaches them). Cloning instead
 * would copy twice (serialize, deserialize), and a view into a larger
 * buffer would clone all of that buffer.
 *
 * A Checksum is a class, which the structured clone would turn into a plain
 * object: it crosses as its 32 bytes and is rebuilt on the other side.
 */
import type { TransferListItem } from 'node:worker_threads';
import { Checksum, type LeaderStatus } from '../../src/index.js';
import { isCheckpoint, type Shipment } from '../shipment.js';
import type { FollowerFeedback } from '../transport.js';

/** The part of a MessagePort a worker transport uses (a `node:worker_threads` MessagePort is one). */
export interface WorkerPort {
  /** Sends a message; buffers in `transferList` move rather than copy. */
  postMessage(value: unknown, transferList?: readonly TransferListItem[]): void;
  /** Listens for messages. */
  on(event: 'message', listener: (value: unknown) => void): unknown;
  /** Stops listening. */
  off(event: 'message', listener: (value: unknown) => void): unknown;
}

/** A sealed segment on the wire. */
export interface WireSegment {
  readonly kind: 'segment';
  readonly shardId: number;
  readonly segmentId: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly sealedAtMs: number;
  readonly bytes: Uint8Array;
  readonly checksum: Uint8Array;
}

/** A bootstrap checkpoint on the wire. */
export interface WireCheckpoint {
  readonly kind: 'checkpoint';
  readonly shardId: number;
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly checksum: Uint8Array;
}

export type WireShipment = WireSegment | WireCheckpoint;

/** Leader → follower. */
export type ToFollower =
  | { readonly t: 'shipment'; readonly shipment: WireShipment }
  | { readonly t: 'status'; readonly status: LeaderStatus };

/** Follower → leader. */
export type ToLeader =
  | { readonly t: 'credit'; readonly n: number }
  | { readonly t: 'feedback'; readonly feedback: FollowerFeedback };

/** A shipment as a message, with the one buffer to transfer (a fresh copy of its bytes). */
export function encodeShipment(s: Shipment): { message: ToFollower; transfer: ArrayBuffer[] } {
  // new Uint8Array(view) copies into a buffer of its own, of the exact size. Not .slice(): on a Buffer
  // (which the WAL's bytes are) that is a view, and transferring its buffer detaches the leader's segment.
  const bytes = new Uint8Array(s.bytes);
  const checksum = new Uint8Array(s.checksum.bytes);
  const shipment: WireShipment = isCheckpoint(s)
    ? { kind: 'checkpoint', shardId: s.shardId, seq: s.seq, bytes, checksum }
    : {
      kind: 'segment', shardId: s.shardId, segmentId: s.segmentId, firstSeq: s.firstSeq, lastSeq: s.lastSeq,
      sealedAtMs: s.sealedAtMs, bytes, checksum,
    };
  return { message: { t: 'shipment', shipment }, transfer: [bytes.buffer as ArrayBuffer] };
}

/** The shipment a message carried; its bytes are now this side's own. */
export function decodeShipment(w: WireShipment): Shipment {
  const checksum = Checksum.fromBytes(w.checksum);
  if (w.kind === 'checkpoint') return { kind: 'checkpoint', shardId: w.shardId, seq: w.seq, bytes: w.bytes, checksum };
  return {
    shardId: w.shardId, segmentId: w.segmentId, firstSeq: w.firstSeq, lastSeq: w.lastSeq, sealedAtMs: w.sealedAtMs,
    bytes: w.bytes, checksum,
  };
}

/** True for a message of one of the kinds `kinds` names (the port is ours, but a wrong message is a broken peer, not a crash here). */
export function isMessage<T extends { t: string }>(value: unknown, kinds: ReadonlySet<string>): value is T {
  return typeof value === 'object' && value !== null && kinds.has((value as { t?: unknown }).t as string);
}
