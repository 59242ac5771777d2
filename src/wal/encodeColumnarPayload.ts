/**
 * The v3 batch payload encoder (docs/wal-format.md, "Batch payload v3"):
 * one msgpack array
 *
 *   [ids, types, items, columns]
 *
 * - ids: the batch's item ids, ascending and front coded (frontCodedIds.ts);
 * - types: its signal types, in order of first use;
 * - items: its item events as [id, text | nil, fields | nil], in seqno order;
 * - columns (bin): per event a tag varint (0 item event, t + 1 a signal of
 *   type t), then per signal its id index, its weight, its time.
 *
 * Seqnos are not stored: event i has the batch header's first seqno + i.
 * Weights that are integers of at most 2^48 are zigzag varints (1 byte for
 * |w| ≤ 31), others f32 (code 1) when exact, else f64 (code 3). Times are
 * varint deltas from the previous signal's time (the first from 0, not from
 * the header's commit time, which no checksum covers in an active segment),
 * f64 (code 3) when the delta is not an integer of at most 2^48 or does not
 * add back exactly. -0 is written as 0.
 */
import { assert } from '../errors.js';
import type { WalEvent } from '../events.js';
import { dictionaryIndex } from './batchColumns.js';
import { ColumnWriter } from './columnWriter.js';
import { frontCodeIds } from './frontCodedIds.js';
import { payloadPackr } from './payloadPackr.js';

/** Weight and time codes (the low bit set): a float follows instead of a varint. */
export const CODE_F32 = 1;
export const CODE_F64 = 3;
/** 2^48: integers up to this are varints (≤ 7 bytes with the code bits); past it an f64 is as short. */
export const MAX_VARINT_MAGNITUDE = 2 ** 48;

/** One writer for every batch: encoding is synchronous, and its buffer is reused. */
const columns = new ColumnWriter();

/** The v3 payload of `events` (at least one; contents already checked by the write path). */
export function encodeColumnarPayload(events: readonly WalEvent[]): Uint8Array {
  assert(events.length > 0, 'a batch holds at least one event');
  const n = events.length;
  const idOf = new Uint32Array(n);
  const ids = new Map<string, number>();
  const types = new Map<string, number>();
  const items: unknown[][] = [];
  columns.reset();
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    if (e.kind === 'item') {
      columns.varint(0);
      items.push([e.id, e.text, e.fields]);
      continue;
    }
    columns.varint(dictionaryIndex(types, e.type) + 1);
    idOf[i] = dictionaryIndex(ids, e.itemId);
  }
  const { sorted, rank } = sortedIds(ids);
  for (let i = 0; i < n; i++) if (events[i]!.kind === 'signal') columns.varint(rank[idOf[i]!]!);
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    if (e.kind === 'signal') writeWeight(e.weight);
  }
  let prevMs = 0;
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    if (e.kind === 'signal') prevMs = writeTime(e.at, prevMs);
  }
  return payloadPackr.pack([frontCodeIds(sorted), [...types.keys()], items, columns.bytes()]);
}

/** The ids ascending, and for each id's first-use index its place among them. */
function sortedIds(ids: Map<string, number>): { sorted: string[]; rank: Uint32Array } {
  const sorted = [...ids.keys()].sort();
  const rank = new Uint32Array(sorted.length);
  for (let k = 0; k < sorted.length; k++) rank[ids.get(sorted[k]!)!] = k;
  return { sorted, rank };
}

function writeWeight(weight: number): void {
  const w = weight + 0; // -0 is written (and read) as 0
  if (Number.isInteger(w) && Math.abs(w) <= MAX_VARINT_MAGNITUDE) {
    columns.varint(zigzag(w) * 2);
  } else if (Math.fround(w) === w) {
    columns.byte(CODE_F32);
    columns.f32(w);
  } else {
    columns.byte(CODE_F64);
    columns.f64(w);
  }
}

/** Writes `atMs` as a delta from `prevMs` when that adds back exactly; returns the time the decoder will hold. */
function writeTime(time: number, prevMs: number): number {
  const atMs = time + 0; // -0 is written (and read) as 0
  const delta = atMs - prevMs;
  if (Number.isInteger(delta) && Math.abs(delta) <= MAX_VARINT_MAGNITUDE && prevMs + delta === atMs) {
    columns.varint(zigzag(delta) * 2);
  } else {
    columns.byte(CODE_F64);
    columns.f64(atMs);
  }
  return atMs;
}

/** 0, -1, 1, -2, 2… as 0, 1, 2, 3, 4…: small magnitudes of either sign make small varints. Arithmetic, not bitwise: |v| reaches 2^48. */
function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}
