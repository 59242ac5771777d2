/**
 * Checks one segment or checkpoint from its bytes, the way open would: the
 * decoder hashes and verifies every structure, and any damage is reported
 * with the decoder's message (file name and byte offset). Pure: bytes in, a
 * verdict out; reading the file is the caller's job.
 */
import { WalError } from '../../src/index.js';
import { decodeCheckpoint, decodeSegment, decodeSegmentHeader, type DecodedSegment, hasIntactBatchFrom, type SegmentHeader } from '../../src/internal.js';

/** OK: every check passed. TORN: an active segment ends in a torn write, which open cuts off. CORRUPT: open would fail. */
export type FileStatus = 'OK' | 'TORN' | 'CORRUPT';

/** 'sealed': every byte must check out. 'active': the shard's last segment, whose torn tail is a crash, not corruption. */
export type SegmentMode = 'sealed' | 'active';

export interface TornWrite {
  readonly offset: number;
  /** Bytes open would cut off (the whole file for a torn creation, which open removes). */
  readonly discardedBytes: number;
  readonly reason: string;
}

export interface SegmentCheck {
  readonly kind: 'segment';
  readonly file: string;
  readonly byteLength: number;
  /** How it was decoded: 'active' only for the last segment of its shard. */
  readonly mode: SegmentMode;
  /** From the header, when it could be read. */
  readonly shardId: number | null;
  readonly segmentId: number | null;
  readonly firstSeq: number | null;
  /** Null when the segment could not be decoded; firstSeq - 1 when it holds no event. */
  readonly lastSeq: number | null;
  readonly batchCount: number | null;
  readonly eventCount: number | null;
  /** 'sealed' when it ends in a valid footer, 'active' when it has none; null when it could not be decoded. */
  readonly state: 'sealed' | 'active' | null;
  readonly status: FileStatus;
  /** The first problem found (CORRUPT), or null. */
  readonly problem: string | null;
  readonly torn: TornWrite | null;
}

export interface CheckpointCheck {
  readonly kind: 'checkpoint';
  readonly file: string;
  readonly byteLength: number;
  readonly shardId: number;
  /** The seqno the checkpoint holds every event up to. */
  readonly seq: number;
  readonly items: number | null;
  readonly signalTypes: readonly string[] | null;
  readonly status: 'OK' | 'CORRUPT';
  readonly problem: string | null;
}

export type FileCheck = SegmentCheck | CheckpointCheck;

/** The segment's place as its file name gives it; null for a file not named as tidaldb names segments. */
export interface SegmentName {
  readonly shardId: number;
  readonly segmentId: number;
}

/**
 * Decodes and verifies a segment. Returns the verdict and, when it decoded,
 * the decoded segment (batches and events, for a per-batch listing).
 *
 * @param named the shard and segment ids in the file name, cross-checked with the header.
 */
export function checkSegmentBytes(
  bytes: Uint8Array, file: string, mode: SegmentMode, named: SegmentName | null,
): { check: SegmentCheck; decoded: DecodedSegment | null; header: SegmentHeader | null } {
  let decoded: DecodedSegment;
  try {
    decoded = decodeSegment(bytes, file, mode);
  } catch (err) {
    if (!(err instanceof WalError)) throw err;
    const header = readableHeader(bytes, file);
    const unknown = { batchCount: null, eventCount: null, lastSeq: null, state: null } as const;
    const base = { kind: 'segment', file, byteLength: bytes.length, mode, ...headerFields(header), ...unknown } as const;
    // As open does: the last segment with an unreadable header and no intact batch is a crash right after its
    // creation, before its first sync; open removes it. Anything else that fails to decode is corruption.
    if (mode === 'active' && header === null && !hasIntactBatchFrom(bytes, 0)) {
      const torn = { offset: 0, discardedBytes: bytes.length, reason: `segment header incomplete (${withoutFile(file, err.message)})` };
      return { check: { ...base, status: 'TORN', problem: null, torn }, decoded: null, header };
    }
    return { check: { ...base, status: 'CORRUPT', problem: err.message, torn: null }, decoded: null, header };
  }
  const h = decoded.header;
  const misnamed = named !== null && (h.shardId !== named.shardId || h.segmentId !== named.segmentId)
    ? `${file}: header at offset 0 says shard ${h.shardId} segment ${h.segmentId}, file name says shard ${named.shardId} segment ${named.segmentId}`
    : null;
  const torn = decoded.torn ? { offset: decoded.torn.offset, discardedBytes: bytes.length - decoded.validLength, reason: withoutFile(file, decoded.torn.reason) } : null;
  const check: SegmentCheck = {
    kind: 'segment', file, byteLength: bytes.length, mode, ...headerFields(h),
    lastSeq: decoded.lastSeq, batchCount: decoded.batches.length, eventCount: decoded.batches.reduce((n, b) => n + b.events.length, 0),
    state: decoded.footer ? 'sealed' : 'active',
    status: misnamed ? 'CORRUPT' : torn ? 'TORN' : 'OK', problem: misnamed, torn,
  };
  return { check, decoded, header: h };
}

/**
 * Decodes and verifies a checkpoint: magic, version, shard, length,
 * checksum over header and body, the body itself, and the seqno it holds
 * against `namedSeq` (the one in its file name) when given.
 */
export function checkCheckpointBytes(bytes: Uint8Array, file: string, shardId: number, namedSeq: number | null): CheckpointCheck {
  const base = { kind: 'checkpoint', file, byteLength: bytes.length, shardId } as const;
  try {
    const state = decodeCheckpoint(bytes, shardId, file);
    const seq = state.appliedSeq;
    const problem = namedSeq !== null && seq !== namedSeq
      ? `${file}: checkpoint holds seqno ${seq} at offset 16, its file name says ${namedSeq}`
      : null;
    return {
      ...base, seq, items: state.items.size, signalTypes: state.ledger.signalTypes,
      status: problem ? 'CORRUPT' : 'OK', problem,
    };
  } catch (err) {
    if (!(err instanceof WalError)) throw err;
    return { ...base, seq: namedSeq ?? -1, items: null, signalTypes: null, status: 'CORRUPT', problem: err.message };
  }
}

function readableHeader(bytes: Uint8Array, file: string): SegmentHeader | null {
  try {
    return decodeSegmentHeader(bytes, file).header;
  } catch (err) {
    if (err instanceof WalError) return null;
    throw err;
  }
}

/** The decoder's message without the leading `<file>: ` (the report names the file already). */
function withoutFile(file: string, message: string): string {
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

function headerFields(h: SegmentHeader | null): Pick<SegmentCheck, 'shardId' | 'segmentId' | 'firstSeq'> {
  return { shardId: h?.shardId ?? null, segmentId: h?.segmentId ?? null, firstSeq: h?.firstSeq ?? null };
}
