/**
 * Damages the end of a killed writer's log the way a crash mid-write (a
 * power loss, not just a killed process) could: only bytes that were never
 * made durable, so nothing acknowledged may be lost by it.
 *
 * What it may touch is the newest segment file past `durableSeq` (the
 * highest seqno acknowledged, or covered by a checkpoint, whose fsync had
 * completed). Of that region, one of:
 *   - truncate:      cut the file at a random offset (a write never reached the disk,
 *                    or reached it in part);
 *   - garbage:       append random bytes (sectors written with junk);
 *   - partial batch: append the next batch cut short, or at full length with
 *                    its tail zeroed (a batch whose last pages never landed);
 *   - torn creation: create the next segment holding part of its header, or
 *                    its header and part of a batch (a crash right after the
 *                    file was created). After a sealed segment that is a
 *                    crash before the new file's first sync; after an unsealed
 *                    one, a seal whose footer never reached the disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WalEvent } from '../../src/events.js';
import { decodeSegment, type DecodedSegment } from '../../src/wal/decodeSegment.js';
import { parseCheckpointFileName, parseSegmentFileName, segmentFileName } from '../../src/wal/segmentStore.js';
import { encodeBatch } from '../../src/wal/batch.js';
import { encodeSegmentHeader } from '../../src/wal/segmentHeader.js';
import { splitWritten } from '../../src/wal/segmentPack.js';
import { WORKLOAD_CLOCK_MS, workloadEvent } from '../wal/fixtures/workload.js';

export type TornTailKind = 'truncate' | 'garbage' | 'partial batch' | 'torn creation';

export interface TornTailInjection {
  readonly kind: TornTailKind;
  /** The file damaged (or created). */
  readonly file: string;
  /** Where the damage starts. */
  readonly offset: number;
  /** Bytes cut off (truncate) or written (the others). */
  readonly bytes: number;
}

/** Most garbage bytes appended: a few sectors' worth. */
const MAX_GARBAGE_BYTES = 2048;
/** Most events in a torn batch: a commit group of the crash writer is 32 or fewer. */
const MAX_TORN_BATCH_EVENTS = 40;

/** The highest checkpoint seqno in `dir` (0 with none): everything up to it was fsynced before it was written. */
export function newestCheckpointSeq(dir: string, shardId = 0): number {
  let newest = 0;
  for (const name of fs.readdirSync(dir)) {
    const p = parseCheckpointFileName(name);
    if (p && p.shardId === shardId) newest = Math.max(newest, p.seq);
  }
  return newest;
}

/**
 * Damages the newest segment of `dir` past `durableSeq`, choosing with
 * `random`. Returns what it did, or null when there was nothing it could
 * damage honestly (no segment, or the kill already left it torn).
 */
export function injectTornTail(dir: string, durableSeq: number, random: () => number, shardId = 0): TornTailInjection | null {
  const ids = fs.readdirSync(dir).map(parseSegmentFileName)
    .filter((p): p is NonNullable<typeof p> => p !== null && p.shardId === shardId)
    .map((p) => p.segmentId)
    .sort((a, b) => a - b);
  const lastId = ids[ids.length - 1];
  if (lastId === undefined) return null;
  const file = path.join(dir, segmentFileName(shardId, lastId));
  // The newest file may hold several segments (wal.packSegments): the damage goes to its last one.
  const whole = fs.readFileSync(file);
  const layout = splitWritten(whole);
  const last = layout.segments.at(-1);
  if (!last || layout.end < whole.length || last.offset + last.length !== whole.length) return null; // recovery's own case
  const base = last.offset;
  const bytes = whole.subarray(base);
  let decoded: DecodedSegment;
  try {
    decoded = decodeSegment(bytes, file, 'active');
  } catch {
    return null; // the kill left a header cut short: recovery's own case, nothing to add
  }
  if (decoded.torn) return null;
  const nextId = Math.max(lastId, decoded.header.segmentId) + 1;
  if (decoded.footer) return tornCreation(dir, shardId, nextId, decoded, random);

  const durableEnd = endOfDurableBatches(decoded, durableSeq);
  const kinds: TornTailKind[] = ['garbage', 'partial batch', 'torn creation'];
  if (durableEnd < bytes.length) kinds.push('truncate');
  const kind = kinds[Math.floor(random() * kinds.length)]!;
  if (kind === 'torn creation') return tornCreation(dir, shardId, nextId, decoded, random);
  if (kind === 'truncate') {
    const offset = durableEnd + Math.floor(random() * (bytes.length - durableEnd));
    fs.truncateSync(file, base + offset);
    return { kind, file, offset: base + offset, bytes: bytes.length - offset };
  }
  const tail = kind === 'garbage' ? randomBytes(1 + Math.floor(random() * MAX_GARBAGE_BYTES), random) : tornBatch(shardId, decoded.lastSeq + 1, random);
  fs.appendFileSync(file, tail);
  return { kind, file, offset: whole.length, bytes: tail.length };
}

/**
 * Offset past the last batch holding a durable seqno; 0 when none does (the
 * file's creation was never synced either, so even its header may go).
 */
function endOfDurableBatches(d: DecodedSegment, durableSeq: number): number {
  let end = 0;
  for (let i = 0; i < d.batches.length; i++) {
    if (d.batches[i]!.firstSeq > durableSeq) break;
    end = d.batches[i + 1]?.offset ?? d.validLength;
  }
  return end;
}

function tornCreation(dir: string, shardId: number, segmentId: number, last: DecodedSegment, random: () => number): TornTailInjection {
  const firstSeq = last.lastSeq + 1;
  const header = encodeSegmentHeader({ ...last.header, segmentId, firstSeq, createdAtMs: WORKLOAD_CLOCK_MS });
  const content = random() < 0.5
    ? header.subarray(0, 1 + Math.floor(random() * (header.length - 1)))
    : Buffer.concat([header, tornBatch(shardId, firstSeq, random)]);
  const file = path.join(dir, segmentFileName(shardId, segmentId));
  fs.writeFileSync(file, content, { flag: 'wx' });
  return { kind: 'torn creation', file, offset: 0, bytes: content.length };
}

/** The workload's next batch from `firstSeq`, cut short or with its tail zeroed. */
function tornBatch(shardId: number, firstSeq: number, random: () => number): Uint8Array {
  const count = 1 + Math.floor(random() * MAX_TORN_BATCH_EVENTS);
  const batch = encodeBatch(shardId, Array.from({ length: count }, (_, i) => walEvent(firstSeq + i)), WORKLOAD_CLOCK_MS);
  const cut = 1 + Math.floor(random() * (batch.length - 1));
  if (random() < 0.5) return batch.subarray(0, cut);
  const zeroed = Uint8Array.from(batch);
  zeroed.fill(0, cut);
  // Zeroing bytes that were already zero leaves an intact batch: cut it short instead.
  return zeroed.some((b, i) => b !== batch[i]) ? zeroed : batch.subarray(0, cut);
}

function walEvent(seq: number): WalEvent {
  const e = workloadEvent(seq);
  return e.kind === 'item'
    ? { kind: 'item', seq, id: e.id, text: e.text, fields: e.fields }
    : { kind: 'signal', seq, itemId: e.itemId, type: e.type, weight: e.weight, at: e.at };
}

function randomBytes(n: number, random: () => number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}
