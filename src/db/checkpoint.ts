/**
 * Checkpoint files: the whole state as of a seqno, so open replays only the
 * WAL after it.
 *
 *   offset size field
 *        0    4 magic "TDCK"
 *        4    2 version (1), u16 LE
 *        6    2 reserved
 *        8    4 shard id, u32 LE
 *       12    4 body length L, u32 LE
 *       16    8 seqno, u64 LE
 *       24   32 BLAKE3-256 of the body
 *       56    L body: msgpack { region, halfLives, ledger, items }
 */
import { Packr } from 'msgpackr';
import { blake3Digest, bytesEqual } from '../checksum.js';
import { WalError } from '../errors.js';
import type { HalfLives } from '../ledger/halfLives.js';
import type { TypeLedgerSnapshot } from '../ledger/signalLedger.js';
import { hasMagic, readU64, view, writeMagic } from '../wal/segmentHeader.js';
import { DbState } from './dbState.js';

const MAGIC = 'TDCK';
const VERSION = 1;
const HEADER_BYTES = 56;
const packr = new Packr({ useRecords: false });

interface CheckpointBody {
  readonly region: string;
  readonly halfLives: HalfLives;
  readonly ledger: Record<string, TypeLedgerSnapshot>;
  readonly items: Array<[string, string | null, Record<string, unknown> | null]>;
}

export function encodeCheckpoint(state: DbState, shardId: number, regionId: string): Uint8Array {
  const body: CheckpointBody = {
    region: regionId,
    halfLives: state.requireHalfLives(),
    ledger: state.ledger.snapshot(),
    items: [...state.items.all()].map((i) => [i.id, i.text, i.fields as Record<string, unknown> | null]),
  };
  const bytes = packr.pack(body);
  const out = new Uint8Array(HEADER_BYTES + bytes.length);
  const v = new DataView(out.buffer);
  writeMagic(out, 0, MAGIC);
  v.setUint16(4, VERSION, true);
  v.setUint32(8, shardId, true);
  v.setUint32(12, bytes.length, true);
  v.setBigUint64(16, BigInt(state.appliedSeq), true);
  out.set(blake3Digest(bytes), 24);
  out.set(bytes, HEADER_BYTES);
  return out;
}

/** Decodes and verifies a checkpoint into a fresh state; `where` names the file for errors. */
export function decodeCheckpoint(bytes: Uint8Array, shardId: number, where: string): DbState {
  if (bytes.length < HEADER_BYTES || !hasMagic(bytes, 0, MAGIC)) throw new WalError('Corruption', `${where}: bad checkpoint header at offset 0`);
  const v = view(bytes);
  const version = v.getUint16(4, true);
  if (version !== VERSION) throw new WalError('Corruption', `${where}: unsupported checkpoint version ${version} at offset 4`);
  if (v.getUint32(8, true) !== shardId) throw new WalError('Corruption', `${where}: checkpoint is for shard ${v.getUint32(8, true)} at offset 8, expected ${shardId}`);
  const length = v.getUint32(12, true);
  if (HEADER_BYTES + length !== bytes.length) throw new WalError('Corruption', `${where}: checkpoint body length ${length} at offset 12 does not match the file`);
  const body = bytes.subarray(HEADER_BYTES);
  if (!bytesEqual(blake3Digest(body), bytes.subarray(24, 56))) throw new WalError('Corruption', `${where}: checkpoint checksum mismatch at offset 24`);
  const decoded = packr.unpack(body) as CheckpointBody;
  const state = new DbState(decoded.halfLives);
  state.ledger.restore(decoded.ledger);
  for (const [id, text, fields] of decoded.items) state.items.put({ id, text, fields });
  state.appliedSeq = readU64(v, 16);
  return state;
}
