/**
 * The segment header: the first bytes of every `.wal` segment.
 *
 *   offset size field
 *        0    4 magic "TDWS"
 *        4    2 format version (1), u16 LE
 *        6    2 reserved (0)
 *        8    4 shard id, u32 LE
 *       12    4 meta length M, u32 LE
 *       16    8 segment id, u64 LE
 *       24    8 first seqno, u64 LE
 *       32    8 created at, ms since epoch, f64 LE
 *       40    M meta: msgpack { r: region id, h: { d: default half-life ms, t: { type: ms } }, e: epoch, b: epoch's first seqno }
 *              (`e` absent reads as epoch 0, `b` absent as 0: not recorded)
 *
 * See docs/wal-format.md.
 */
import { Packr } from 'msgpackr';
import { WalError } from '../errors.js';
import { atProblem, describe, nameProblem } from '../eventContent.js';
import { halfLivesFromEntries, type HalfLives } from '../ledger/halfLives.js';
import { MAX_EPOCH_HISTORY, MAX_REGION_BYTES } from '../limits.js';

export const SEGMENT_MAGIC = 'TDWS';
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_FIXED_BYTES = 40;
/** A meta block past this is not a header we wrote. */
const MAX_META_BYTES = 64 * 1024;

const metaPackr = new Packr({ useRecords: false });
/** Decodes meta maps as Maps: a type named '__proto__' stays a key like any other. */
const metaUnpackr = new Packr({ useRecords: false, mapsAsObjects: false });

export interface SegmentHeader {
  readonly shardId: number;
  readonly segmentId: number;
  readonly firstSeq: number;
  readonly createdAtMs: number;
  readonly regionId: string;
  readonly halfLives: HalfLives;
  /** Leadership epoch of the leader that wrote it (see promote()); older epochs are fenced off. */
  readonly epoch: number;
  /**
   * The first seqno of its epoch (the promotion point + 1; 1 for epoch 0):
   * a follower holding an older epoch's event at or past it has diverged.
   * 0 when not recorded (segments written before it was).
   */
  readonly epochStartSeq: number;
  /**
   * Where each epoch since 1 began, [epoch, first seqno], oldest first (at
   * most MAX_EPOCH_HISTORY, the newest): a follower that missed an epoch can
   * still tell that it holds events an epoch in between replaced.
   */
  readonly epochHistory: ReadonlyArray<readonly [number, number]>;
}

export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const meta = metaPackr.pack({ r: h.regionId, h: { d: h.halfLives.defaultMs, t: Object.fromEntries(h.halfLives.byType) }, e: h.epoch, b: h.epochStartSeq, x: h.epochHistory });
  const out = new Uint8Array(SEGMENT_HEADER_FIXED_BYTES + meta.length);
  const v = new DataView(out.buffer);
  writeMagic(out, 0, SEGMENT_MAGIC);
  v.setUint16(4, SEGMENT_FORMAT_VERSION, true);
  v.setUint32(8, h.shardId, true);
  v.setUint32(12, meta.length, true);
  v.setBigUint64(16, BigInt(h.segmentId), true);
  v.setBigUint64(24, BigInt(h.firstSeq), true);
  v.setFloat64(32, h.createdAtMs, true);
  out.set(meta, SEGMENT_HEADER_FIXED_BYTES);
  return out;
}

/** Decodes the header at the start of `bytes`; `where` names the file for errors. */
export function decodeSegmentHeader(bytes: Uint8Array, where: string): { header: SegmentHeader; length: number } {
  if (bytes.length < SEGMENT_HEADER_FIXED_BYTES) {
    throw new WalError('Corruption', `${where}: segment header truncated at offset ${bytes.length} (need ${SEGMENT_HEADER_FIXED_BYTES} bytes)`);
  }
  if (!hasMagic(bytes, 0, SEGMENT_MAGIC)) throw new WalError('Corruption', `${where}: bad segment magic at offset 0`);
  const v = view(bytes);
  const version = v.getUint16(4, true);
  if (version !== SEGMENT_FORMAT_VERSION) {
    throw new WalError('Corruption', `${where}: unsupported segment format version ${version} at offset 4`);
  }
  const metaLen = v.getUint32(12, true);
  if (metaLen > MAX_META_BYTES || SEGMENT_HEADER_FIXED_BYTES + metaLen > bytes.length) {
    throw new WalError('Corruption', `${where}: segment meta length ${metaLen} at offset 12 runs past the header`);
  }
  let raw: unknown;
  try {
    raw = metaUnpackr.unpack(bytes.subarray(SEGMENT_HEADER_FIXED_BYTES, SEGMENT_HEADER_FIXED_BYTES + metaLen));
  } catch (cause) {
    throw new WalError('Corruption', `${where}: unreadable segment meta at offset ${SEGMENT_HEADER_FIXED_BYTES}`, { cause });
  }
  const meta = decodeMeta(raw, (problem) => new WalError('Corruption', `${where}: malformed segment meta at offset ${SEGMENT_HEADER_FIXED_BYTES}: ${problem}`));
  return {
    header: {
      shardId: v.getUint32(8, true),
      segmentId: readPositive(v, 16, where, 'segment id'),
      firstSeq: readPositive(v, 24, where, 'first seqno'),
      createdAtMs: readTime(v, 32, where, 'created-at time'),
      regionId: meta.regionId,
      halfLives: meta.halfLives,
      epoch: meta.epoch,
      epochStartSeq: meta.epochStartSeq,
      epochHistory: meta.epochHistory,
    },
    length: SEGMENT_HEADER_FIXED_BYTES + metaLen,
  };
}

/** The meta block's content, every field checked: region, half-lives, epoch. */
function decodeMeta(raw: unknown, fail: (problem: string) => Error): {
  regionId: string; halfLives: HalfLives; epoch: number; epochStartSeq: number; epochHistory: Array<[number, number]>;
} {
  if (!(raw instanceof Map)) throw fail('not a map');
  const regionId: unknown = raw.get('r');
  const regionProblem = nameProblem('region id', regionId, MAX_REGION_BYTES);
  if (regionProblem !== null) throw fail(regionProblem);
  const h: unknown = raw.get('h');
  if (!(h instanceof Map) || !(h.get('t') instanceof Map)) throw fail('half-lives (h) must be a map holding a map t');
  const halfLives = halfLivesFromEntries((h.get('t') as Map<unknown, unknown>).entries(), fail, h.get('d'));
  const epoch: unknown = raw.get('e') ?? 0;
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) throw fail(`epoch (e) must be a non-negative integer, got ${describe(epoch)}`);
  const epochStartSeq: unknown = raw.get('b') ?? 0;
  if (!Number.isSafeInteger(epochStartSeq) || (epochStartSeq as number) < 0) throw fail(`epoch start (b) must be a non-negative integer, got ${describe(epochStartSeq)}`);
  const epochHistory = decodeEpochHistory(raw.get('x') ?? [], fail);
  // + 0: -0 reads as 0
  return { regionId: regionId as string, halfLives, epoch: (epoch as number) + 0, epochStartSeq: (epochStartSeq as number) + 0, epochHistory };
}

/**
 * The meta block's bytes (region, half-lives, epoch) as a latin1 string: a
 * cheap key for "written under the same configuration". Two sealed segments
 * merge only when their keys are equal. `bytes` start with a header that
 * has been decoded (or was encoded) already.
 */
export function headerMetaKey(bytes: Uint8Array): string {
  const metaLength = view(bytes).getUint32(12, true);
  return Buffer.from(bytes.buffer, bytes.byteOffset + SEGMENT_HEADER_FIXED_BYTES, metaLength).toString('latin1');
}

/** An epoch history ([epoch, first seqno] pairs, epochs increasing, at most MAX_EPOCH_HISTORY), checked; `fail` makes the error. */
export function decodeEpochHistory(raw: unknown, fail: (problem: string) => Error): Array<[number, number]> {
  if (!Array.isArray(raw) || raw.length > MAX_EPOCH_HISTORY) throw fail(`epoch history must be an array of at most ${MAX_EPOCH_HISTORY} pairs`);
  let previous = 0;
  return raw.map((pair: unknown) => {
    const [epoch, start] = Array.isArray(pair) && pair.length === 2 ? pair as unknown[] : [];
    if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(start) || (epoch as number) <= previous || (start as number) < 1) {
      throw fail(`epoch history entry must be [epoch, first seqno] with epochs increasing from 1, got ${describe(pair)}`);
    }
    previous = epoch as number;
    return [epoch as number, start as number];
  });
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads a u64 that must fit a JS safe integer (seqnos and segment ids do); `where` names the file for errors. */
export function readU64(v: DataView, offset: number, where: string): number {
  const n = v.getBigUint64(offset, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new WalError('Corruption', `${where}: u64 at offset ${offset} is ${n}, past the largest safe integer`);
  }
  return Number(n);
}

/** A u64 id or seqno that must be at least 1 (segment ids and seqnos start at 1). */
function readPositive(v: DataView, offset: number, where: string, what: string): number {
  const n = readU64(v, offset, where);
  if (n < 1) throw new WalError('Corruption', `${where}: ${what} at offset ${offset} is ${n}, expected at least 1`);
  return n;
}

/** An f64 time in ms since epoch within the legal range (±8.64e15); `what` names the field. */
export function readTime(v: DataView, offset: number, where: string, what: string): number {
  const ms = v.getFloat64(offset, true);
  const problem = atProblem(what, ms);
  if (problem !== null) throw new WalError('Corruption', `${where}: ${problem} (at offset ${offset})`);
  return ms;
}

export function writeMagic(out: Uint8Array, offset: number, magic: string): void {
  for (let i = 0; i < 4; i++) out[offset + i] = magic.charCodeAt(i);
}

export function hasMagic(bytes: Uint8Array, offset: number, magic: string): boolean {
  if (offset + 4 > bytes.length) return false;
  for (let i = 0; i < 4; i++) if (bytes[offset + i] !== magic.charCodeAt(i)) return false;
  return true;
}
