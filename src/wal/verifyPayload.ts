/**
 * The follower's check of a shipped segment before anything is applied or
 * stored: the payload is shaped as documented, its BLAKE3 matches its bytes,
 * the bytes decode as a sealed segment (structure, seqnos, counts, footer
 * fields, every event's content), and every field the payload claims agrees
 * with what the bytes say. A payload is only a label on its bytes: a lying
 * label is Corruption, never trusted.
 *
 * Hashed once: the whole-segment BLAKE3 covers every byte, so the decoder
 * (given the VerifiedBytes proof) skips the batch and footer hashes. Those
 * still guard the bytes on disk: recovery checks every one.
 */
import { describe } from '../eventContent.js';
import { Checksum } from '../checksum.js';
import { WalError } from '../errors.js';
import { decodeSegment, type DecodedSegment } from './decodeSegment.js';
import { VerifiedBytes } from './verifiedBytes.js';
import type { WalSegmentPayload } from './walSegmentPayload.js';

/** Decodes verifyPayload produced, by payload: `applySegment$` trusts a decode handed to it only if it is one of these. */
const verifiedDecodes = new WeakMap<WalSegmentPayload, DecodedSegment>();

const NUMERIC_FIELDS = ['shardId', 'segmentId', 'firstSeq', 'lastSeq', 'sealedAtMs'] as const;

/**
 * A copy of `payload` that owns its bytes (a caller changing its buffer
 * later cannot change what this node stores or ships), after checking its
 * shape; Corruption naming the field otherwise.
 */
export function ownedPayload(payload: unknown): WalSegmentPayload {
  if (typeof payload !== 'object' || payload === null) throw new WalError('Corruption', `a segment payload must be an object, got ${payload === null ? 'null' : typeof payload}`);
  const p = payload as Partial<Record<keyof WalSegmentPayload, unknown>>;
  for (const field of NUMERIC_FIELDS) {
    if (typeof p[field] !== 'number' || !Number.isFinite(p[field])) throw new WalError('Corruption', `segment payload field ${field} must be a finite number, got ${describe(p[field])}`);
  }
  if (!(p.bytes instanceof Uint8Array)) throw new WalError('Corruption', 'segment payload field bytes must be a Uint8Array');
  if (!(p.checksum instanceof Checksum)) throw new WalError('Corruption', 'segment payload field checksum must be a Checksum');
  return Object.freeze({
    shardId: p.shardId as number, segmentId: p.segmentId as number, firstSeq: p.firstSeq as number,
    lastSeq: p.lastSeq as number, sealedAtMs: p.sealedAtMs as number, bytes: p.bytes.slice(), checksum: p.checksum,
  });
}

/** Verifies and decodes `payload` (see the file comment); throws WalError Corruption naming what disagrees. */
export function verifyPayload(payload: WalSegmentPayload): DecodedSegment {
  const where = `segment ${payload.segmentId} (seqnos ${payload.firstSeq}..${payload.lastSeq})`;
  const verified = VerifiedBytes.check(payload.bytes, payload.checksum);
  if (verified === null) {
    throw new WalError('Corruption', `${where}: BLAKE3 checksum mismatch over ${payload.bytes.length} bytes (expected ${payload.checksum.toHex()})`);
  }
  const decoded = decodeSegment(verified, where, 'sealed');
  const claims: Array<[string, number, number]> = [
    ['shardId', payload.shardId, decoded.header.shardId],
    ['segmentId', payload.segmentId, decoded.header.segmentId],
    ['firstSeq', payload.firstSeq, decoded.header.firstSeq],
    ['lastSeq', payload.lastSeq, decoded.lastSeq],
    ['sealedAtMs', payload.sealedAtMs, decoded.footer!.sealedAtMs],
  ];
  for (const [field, claimed, actual] of claims) {
    if (!Object.is(claimed, actual)) throw new WalError('Corruption', `${where}: payload says ${field} ${claimed}, its bytes say ${actual}`);
  }
  if (decoded.lastSeq < decoded.header.firstSeq) throw new WalError('Corruption', `${where}: a sealed segment holds no event`);
  verifiedDecodes.set(payload, decoded);
  return decoded;
}

/** True when `decoded` is what verifyPayload returned for this very payload object. */
export function wasVerified(payload: WalSegmentPayload, decoded: DecodedSegment): boolean {
  return verifiedDecodes.get(payload) === decoded;
}
