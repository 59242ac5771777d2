/**
 * Checkpoint files: the whole state as of a seqno, so open replays only the
 * WAL after it.
 *
 *   offset size field
 *        0    4 magic "TDCK"
 *        4    2 version (2), u16 LE
 *        6    2 reserved
 *        8    4 shard id, u32 LE
 *       12    4 body length L, u32 LE
 *       16    8 seqno, u64 LE
 *       24   32 BLAKE3-256 of bytes 0..23 followed by the body
 *       56    L body: msgpack { region, halfLives, ledger, items, epoch }
 *
 * The checksum covers the header fields as well as the body: an unchecked
 * seqno would let one flipped bit make open skip or re-apply WAL events.
 * See docs/wal-format.md.
 */
import { Packr } from 'msgpackr';
import { bytesEqual, createHasher } from '../checksum.js';
import { WalError } from '../errors.js';
import type { HalfLives } from '../ledger/halfLives.js';
import { hasMagic, readU64, view, writeMagic } from '../wal/segmentHeader.js';
import { DbState } from './dbState.js';
import { bodyFromVersion2, stateFromBody } from './checkpointBody.js';
import { checkpointFileName, type SegmentStore } from '../wal/segmentStore.js';

const MAGIC = 'TDCK';
/**
 * 3: decayed masses are [id, value, atMs] per item (no per-type reference
 * time) and types are data in arrays, never map keys. 2 is still read; 1
 * (whose checksum covered only the body) is refused.
 */
const VERSION = 3;
const READABLE_VERSIONS = new Set([2, 3]);
const HEADER_BYTES = 56;
/** Header bytes before the checksum field, covered by it. */
const HASHED_HEADER_BYTES = 24;
const packr = new Packr({ useRecords: false });

type ItemTuple = [string, string | null, Readonly<Record<string, unknown>> | null];

/** The body of a version 3 checkpoint. */
interface CheckpointBody {
  readonly region: string;
  readonly halfLives: { readonly defaultMs: number; readonly byType: Array<[string, number]> };
  readonly ledger: Array<[string, number, ReadonlyArray<readonly [string, number, number]>]>;
  readonly items: ItemTuple[];
  readonly epoch: number;
  /** The first seqno of `epoch` (absent reads as 0: not recorded). */
  readonly epochStartSeq: number;
  /** Where each epoch since 1 began (absent reads as none). */
  readonly epochHistory: ReadonlyArray<readonly [number, number]>;
  /** The segment id its writer's log continues from (absent reads as 1). */
  readonly nextSegmentId: number;
}

/** @param nextSegmentId the id the writer's next segment gets: a node restored from this never numbers below it */
export function encodeCheckpoint(state: DbState, shardId: number, regionId: string, nextSegmentId = 1): Uint8Array {
  const halfLives = state.requireHalfLives();
  const body: CheckpointBody = {
    region: regionId,
    halfLives: { defaultMs: halfLives.defaultMs, byType: [...halfLives.byType] },
    ledger: state.ledger.snapshot().map(([type, t]) => [type, t.halfLifeMs, t.masses]),
    items: [...state.items.all()].map((i) => [i.id, i.text, i.fields]),
    epoch: state.epoch,
    epochStartSeq: state.epochStartSeq,
    epochHistory: state.epochHistory,
    nextSegmentId,
  };
  const bytes = packr.pack(body);
  const out = new Uint8Array(HEADER_BYTES + bytes.length);
  const v = new DataView(out.buffer);
  writeMagic(out, 0, MAGIC);
  v.setUint16(4, VERSION, true);
  v.setUint32(8, shardId, true);
  v.setUint32(12, bytes.length, true);
  v.setBigUint64(16, BigInt(state.appliedSeq), true);
  out.set(bytes, HEADER_BYTES);
  out.set(checksumOf(out), HASHED_HEADER_BYTES);
  return out;
}

/**
 * Decodes and verifies a checkpoint into a fresh state; `where` names the
 * file for errors. Every value is checked as a write or a segment's would
 * be: anything else is Corruption, and nothing is returned half-built.
 */
export function decodeCheckpoint(bytes: Uint8Array, shardId: number, where: string): DbState {
  if (!(bytes instanceof Uint8Array)) throw new WalError('Corruption', `${where}: a checkpoint must be a Uint8Array`);
  if (bytes.length < HEADER_BYTES || !hasMagic(bytes, 0, MAGIC)) throw new WalError('Corruption', `${where}: bad checkpoint header at offset 0`);
  const v = view(bytes);
  const version = v.getUint16(4, true);
  if (!READABLE_VERSIONS.has(version)) throw new WalError('Corruption', `${where}: unsupported checkpoint version ${version} at offset 4`);
  if (v.getUint32(8, true) !== shardId) throw new WalError('Corruption', `${where}: checkpoint is for shard ${v.getUint32(8, true)} at offset 8, expected ${shardId}`);
  const length = v.getUint32(12, true);
  if (HEADER_BYTES + length !== bytes.length) throw new WalError('Corruption', `${where}: checkpoint body length ${length} at offset 12 does not match the file`);
  if (!bytesEqual(checksumOf(bytes), bytes.subarray(HASHED_HEADER_BYTES, HEADER_BYTES))) {
    throw new WalError('Corruption', `${where}: checkpoint checksum mismatch at offset ${HASHED_HEADER_BYTES}`);
  }
  const appliedSeq = readU64(v, 16, where);
  let raw: unknown;
  try {
    raw = packr.unpack(bytes.subarray(HEADER_BYTES));
  } catch (cause) {
    throw new WalError('Corruption', `${where}: unreadable checkpoint body at offset ${HEADER_BYTES}`, { cause });
  }
  const fail = (problem: string) => new WalError('Corruption', `${where}: malformed checkpoint body at offset ${HEADER_BYTES}: ${problem}`);
  const body = version === 2 ? bodyFromVersion2(raw, fail) : raw;
  const state = stateFromBody(body, fail);
  state.appliedSeq = appliedSeq;
  return state;
}
/** BLAKE3-256 of a checkpoint's header fields (bytes 0..23) and its body. */
function checksumOf(file: Uint8Array): Uint8Array {
  return createHasher().update(file.subarray(0, HASHED_HEADER_BYTES)).update(file.subarray(HEADER_BYTES)).digest();
}

/**
 * The state from the newest checkpoint in `store`, or a fresh one; refuses
 * (ConfigMismatch) one whose half-lives differ from `halfLives` when given.
 */
export async function loadLatestCheckpoint(store: SegmentStore, shardId: number, halfLives: HalfLives | null): Promise<DbState> {
  const seqs = await store.listCheckpoints();
  const latest = seqs[seqs.length - 1];
  const state = new DbState(halfLives);
  if (latest === undefined) return state;
  const file = checkpointFileName(shardId, latest);
  const restored = decodeCheckpoint(await store.readCheckpoint(latest), shardId, file);
  state.agreeHalfLives(restored.requireHalfLives(), file);
  return restored;
}
