/**
 * How a shipment is stored on the stream, as pure functions: its bytes are
 * the message data, cut into parts when larger than a message may be, and
 * what a follower must know before reading them is in headers.
 *
 *   Nats-Msg-Id              <shard>:<epoch>:<firstSeq>             (a shared segment; see jetStreamRoute.ts)
 *                            …/<part> after it when cut into parts
 *   Tidal-Version            1
 *   Tidal-Kind               segment | checkpoint
 *   Tidal-Shard, Tidal-Epoch the leader's shard and epoch
 *   Tidal-Segment-Id, Tidal-First-Seq, Tidal-Last-Seq, Tidal-Sealed-At-Ms   (a segment)
 *   Tidal-Last-Seq           the checkpoint's seqno (a checkpoint)
 *   Tidal-Checksum           BLAKE3-256 of the whole shipment, 64 hex digits
 *   Tidal-Bytes              the whole shipment's length
 *   Tidal-Part               <index>/<count>, from 0/1
 *   Tidal-For                a peer token: a re-send or a checkpoint for that follower only (absent: for every follower)
 *   Tidal-Published-Through  the last seqno of the shared log after this message (in this epoch)
 *
 * Headers are only labels. A follower re-verifies the checksum and checks
 * every label against the bytes before anything is applied (verifyPayload):
 * a lying label is Corruption. A header that does not parse is Corruption
 * here, naming the header and its value.
 */
import { Checksum, TidalError, WalError, type WalSegmentPayload } from '../../src/index.js';
import { type CheckpointShipment, isCheckpoint, type Shipment, shipmentLastSeq } from '../shipment.js';
import type { PeerId } from '../transport.js';
import { peerOfToken, peerToken } from './jetStreamSubjects.js';

/** The header layout's version; a message of another is refused (ConfigMismatch) rather than misread. */
export const SHIPMENT_HEADERS_VERSION = 1;

export const H = {
  version: 'Tidal-Version',
  kind: 'Tidal-Kind',
  shard: 'Tidal-Shard',
  epoch: 'Tidal-Epoch',
  segmentId: 'Tidal-Segment-Id',
  firstSeq: 'Tidal-First-Seq',
  lastSeq: 'Tidal-Last-Seq',
  sealedAtMs: 'Tidal-Sealed-At-Ms',
  checksum: 'Tidal-Checksum',
  bytes: 'Tidal-Bytes',
  part: 'Tidal-Part',
  forPeer: 'Tidal-For',
  publishedThrough: 'Tidal-Published-Through',
} as const;

/** What the headers of one stored message say. */
export interface ShipmentHead {
  readonly kind: 'segment' | 'checkpoint';
  readonly shardId: number;
  readonly epoch: number;
  /** -1 for a checkpoint. */
  readonly segmentId: number;
  /** 1 for a checkpoint (it covers everything up to its seqno). */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** 0 for a checkpoint. */
  readonly sealedAtMs: number;
  readonly checksum: Checksum;
  readonly totalBytes: number;
  readonly partIndex: number;
  readonly partCount: number;
  /** The follower this message is for; null: every follower. */
  readonly forPeer: PeerId | null;
  readonly publishedThrough: number;
}

/** One message to publish: its id, headers and data (a part of the shipment's bytes, not a copy). */
export interface ShipmentMessage {
  readonly msgId: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly data: Uint8Array;
}

/** Where a shipment goes and what the log looks like around it. */
export interface ShipmentLabels {
  /** The message id of the whole shipment; parts get `/<index>` after it. */
  readonly msgId: string;
  readonly epoch: number;
  /** null: the shared log. */
  readonly forPeer: PeerId | null;
  /** The shared log's last seqno before this shipment, and after it (equal for one for a single follower). */
  readonly publishedThrough: { readonly before: number; readonly after: number };
  /** Data bytes a message may carry. */
  readonly partBytes: number;
}

/**
 * The messages that store `s`: one when its bytes fit in `partBytes`, else
 * ⌈bytes / partBytes⌉ parts, each with every header (a part is readable on
 * its own) and the shipment's whole checksum. Only the last part says the
 * log moved on (`Tidal-Published-Through`): a leader that stops after some
 * parts publishes the shipment again.
 *
 * @example
 * // a segment of 2.5 MiB, seqnos 101..180, parts of 1 MiB:
 * shipmentMessages(segment, { msgId: '0:1:101', epoch: 1, forPeer: null,
 *   publishedThrough: { before: 100, after: 180 }, partBytes: 1 << 20 }).map((m) => m.msgId);
 * // → ['0:1:101/0', '0:1:101/1', '0:1:101/2']
 */
export function shipmentMessages(s: Shipment, labels: ShipmentLabels): ShipmentMessage[] {
  if (!(Number.isSafeInteger(labels.partBytes) && labels.partBytes > 0)) throw new RangeError(`partBytes must be an integer > 0, got ${labels.partBytes}`);
  const count = Math.max(1, Math.ceil(s.bytes.length / labels.partBytes));
  const common = commonHeaders(s, labels);
  return Array.from({ length: count }, (_, i) => ({
    msgId: count === 1 ? labels.msgId : `${labels.msgId}/${i}`,
    headers: [
      ...common,
      [H.part, `${i}/${count}`],
      [H.publishedThrough, String(i === count - 1 ? labels.publishedThrough.after : labels.publishedThrough.before)],
    ],
    data: s.bytes.subarray(i * labels.partBytes, Math.min(s.bytes.length, (i + 1) * labels.partBytes)),
  }));
}

function commonHeaders(s: Shipment, labels: ShipmentLabels): Array<readonly [string, string]> {
  const head: Array<readonly [string, string]> = [
    [H.version, String(SHIPMENT_HEADERS_VERSION)],
    [H.kind, isCheckpoint(s) ? 'checkpoint' : 'segment'],
    [H.shard, String(s.shardId)],
    [H.epoch, String(labels.epoch)],
  ];
  if (!isCheckpoint(s)) {
    head.push([H.segmentId, String(s.segmentId)], [H.firstSeq, String(s.firstSeq)], [H.sealedAtMs, String(s.sealedAtMs)]);
  }
  head.push([H.lastSeq, String(shipmentLastSeq(s))], [H.checksum, s.checksum.toHex()], [H.bytes, String(s.bytes.length)]);
  if (labels.forPeer !== null) head.push([H.forPeer, peerToken(labels.forPeer)]);
  return head;
}

/**
 * Reads the headers of one stored message (`get` returns a header's value,
 * or undefined when absent); WalError Corruption naming the header and its
 * value when one is missing or malformed, ConfigMismatch for another layout
 * version.
 *
 * @param where names the message in errors, e.g. 'stream message 42'
 */
export function decodeShipmentHead(get: (name: string) => string | undefined, where: string): ShipmentHead {
  const version = integer(get, H.version, where);
  if (version !== SHIPMENT_HEADERS_VERSION) {
    throw new TidalError('ConfigMismatch', `${where}: header ${H.version} is ${version}, this follower reads version ${SHIPMENT_HEADERS_VERSION}: run the same tidaldb version on leader and followers`);
  }
  const kind = get(H.kind);
  if (kind !== 'segment' && kind !== 'checkpoint') throw bad(where, H.kind, kind, "'segment' or 'checkpoint'");
  const [partIndex, partCount] = part(get, where);
  const forToken = get(H.forPeer);
  const forPeer = forToken === undefined ? null : peerOfToken(forToken);
  if (forToken !== undefined && forPeer === null) throw bad(where, H.forPeer, forToken, 'a peer token');
  const checksumHex = get(H.checksum);
  if (checksumHex === undefined || !/^[0-9a-f]{64}$/.test(checksumHex)) throw bad(where, H.checksum, checksumHex, '64 lowercase hex digits');
  const lastSeq = integer(get, H.lastSeq, where);
  const segment = kind === 'segment';
  return {
    kind, shardId: integer(get, H.shard, where), epoch: integer(get, H.epoch, where),
    segmentId: segment ? integer(get, H.segmentId, where) : -1,
    firstSeq: segment ? integer(get, H.firstSeq, where) : 1,
    lastSeq,
    sealedAtMs: segment ? integer(get, H.sealedAtMs, where) : 0,
    checksum: Checksum.parse(checksumHex), totalBytes: integer(get, H.bytes, where), partIndex, partCount, forPeer,
    publishedThrough: integer(get, H.publishedThrough, where),
  };
}

/** The shipment a head and its whole bytes describe (the checksum is carried, not checked: the follower's pipeline checks it). */
export function shipmentOf(head: ShipmentHead, bytes: Uint8Array): Shipment {
  if (head.kind === 'checkpoint') {
    const checkpoint: CheckpointShipment = { kind: 'checkpoint', shardId: head.shardId, seq: head.lastSeq, bytes, checksum: head.checksum };
    return checkpoint;
  }
  const segment: WalSegmentPayload = {
    shardId: head.shardId, segmentId: head.segmentId, firstSeq: head.firstSeq, lastSeq: head.lastSeq,
    sealedAtMs: head.sealedAtMs, bytes, checksum: head.checksum,
  };
  return segment;
}

function part(get: (name: string) => string | undefined, where: string): [number, number] {
  const value = get(H.part);
  const m = value === undefined ? null : /^(0|[1-9]\d{0,8})\/([1-9]\d{0,8})$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index < count)) throw bad(where, H.part, value, '<index>/<count> with index < count');
  return [index, count];
}

function integer(get: (name: string) => string | undefined, name: string, where: string): number {
  const value = get(name);
  const n = value !== undefined && /^(0|[1-9]\d{0,15})$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw bad(where, name, value, 'an integer >= 0');
  return n;
}

function bad(where: string, name: string, value: string | undefined, expected: string): WalError {
  const shown = value === undefined ? 'missing' : JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return new WalError('Corruption', `${where}: header ${name} must be ${expected}, got ${shown}`);
}
