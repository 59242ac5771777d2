/**
 * The v3 batch payload decoder (layout in encodeColumnarPayload.ts and
 * docs/wal-format.md): straight into columns, with no object per signal.
 *
 * Content is checked as a write would check it, each thing once: every
 * dictionary id and type (non-empty, well-formed, within its byte limit),
 * every item event (id, text, fields), and per signal its indexes, weight
 * (finite, |w| ≤ MAX_ABS_WEIGHT) and time (finite, within ±MAX_ABS_AT_MS).
 * So a forged batch with every checksum recomputed is still refused. Throws
 * a plain Error naming the event (index and seqno) or the dictionary entry;
 * the batch decoder wraps it as WalError 'Corruption' with the batch offset.
 */
import { atProblem, itemIdProblem, signalTypeProblem, textProblem, weightProblem } from '../eventContent.js';
import type { ItemEvent } from '../events.js';
import { checkItemFields } from '../items/itemFields.js';
import { MAX_ABS_AT_MS, MAX_ABS_WEIGHT } from '../limits.js';
import { type BatchColumns, KIND_ITEM, KIND_SIGNAL } from './batchColumns.js';
import { ColumnReader } from './columnReader.js';
import { CODE_F32, CODE_F64 } from './encodeColumnarPayload.js';
import { decodeFrontCodedIds } from './frontCodedIds.js';
import { payloadPackr } from './payloadPackr.js';

/** Decodes the payload of a batch of `count` events (1..MAX_BATCH_EVENTS, from its header) starting at seqno `firstSeq`. */
export function decodeColumnarPayload(payload: Uint8Array, firstSeq: number, count: number): BatchColumns {
  const parts: unknown = payloadPackr.unpack(payload);
  if (!Array.isArray(parts) || parts.length !== 4 || !(parts[3] instanceof Uint8Array)) {
    throw new Error('payload is not the array [ids, types, items, columns (bin)]');
  }
  const types = decodeTypes(parts[1], count);
  const r = new ColumnReader(parts[3]);
  const kinds = new Uint8Array(count);
  const typeIndex = new Uint32Array(count);
  const itemIndex = new Uint32Array(count);
  const signals = readTags(r, kinds, typeIndex, itemIndex, types.length, firstSeq);
  const itemIds = decodeFrontCodedIds(parts[0], signals);
  const itemEvents = decodeItemEvents(parts[2], kinds, itemIndex, firstSeq);
  readIdIndexes(r, kinds, itemIndex, itemIds.length, firstSeq);
  const weights = readWeights(r, kinds, firstSeq);
  const atMs = readTimes(r, kinds, firstSeq);
  if (!r.atEnd) throw new Error(`the columns hold bytes past the last signal's time, from column byte ${r.offset}`);
  return { count, kinds, itemIndex, typeIndex, weights, atMs, itemIds, types, itemEvents };
}

function decodeTypes(raw: unknown, count: number): string[] {
  if (!Array.isArray(raw) || raw.length > count) throw new Error(`the type dictionary is not an array of at most ${count} types`);
  for (let t = 0; t < raw.length; t++) {
    const problem = signalTypeProblem(`type ${t} of the dictionary`, raw[t]);
    if (problem !== null) throw new Error(problem);
  }
  return raw as string[];
}

/** The tag column: kinds and type indexes; item events get their place in `items`. Returns the number of signals. */
function readTags(r: ColumnReader, kinds: Uint8Array, typeIndex: Uint32Array, itemIndex: Uint32Array, typeCount: number, firstSeq: number): number {
  let items = 0;
  for (let i = 0; i < kinds.length; i++) {
    const tag = r.varint();
    if (tag === 0) {
      kinds[i] = KIND_ITEM;
      itemIndex[i] = items++;
    } else if (tag <= typeCount) {
      kinds[i] = KIND_SIGNAL;
      typeIndex[i] = tag - 1;
    } else {
      throw new Error(`${eventName(i, firstSeq)}: tag ${tag} names type ${tag - 1}, the dictionary holds ${typeCount}`);
    }
  }
  return kinds.length - items;
}

function decodeItemEvents(raw: unknown, kinds: Uint8Array, itemIndex: Uint32Array, firstSeq: number): ItemEvent[] {
  if (!Array.isArray(raw)) throw new Error('the item events are not an array');
  const out: ItemEvent[] = [];
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== KIND_ITEM) continue;
    const k = itemIndex[i]!;
    if (k >= raw.length) throw new Error(`${eventName(i, firstSeq)} is item event ${k}, the batch holds ${raw.length}`);
    out.push(decodeItemEvent(raw[k], firstSeq + i, eventName(i, firstSeq)));
  }
  if (out.length !== raw.length) throw new Error(`the batch holds ${raw.length} item events, its tags name ${out.length}`);
  return out;
}

function decodeItemEvent(t: unknown, seq: number, name: string): ItemEvent {
  if (!Array.isArray(t) || t.length !== 3) throw new Error(`${name}: not an [id, text, fields] tuple`);
  const text: unknown = t[1] ?? null;
  const problem = itemIdProblem('id', t[0]) ?? textProblem(text);
  if (problem !== null) throw new Error(`${name}: ${problem}`);
  let fields: Readonly<Record<string, unknown>> | null = null;
  if (t[2] !== null && t[2] !== undefined) {
    const checked = checkItemFields(t[2]);
    if (!checked.ok) throw new Error(`${name}: ${checked.problem}`);
    fields = checked.fields;
  }
  return { kind: 'item', seq, id: t[0] as string, text: text as string | null, fields };
}

function readIdIndexes(r: ColumnReader, kinds: Uint8Array, itemIndex: Uint32Array, idCount: number, firstSeq: number): void {
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== KIND_SIGNAL) continue;
    const k = r.varint();
    if (k >= idCount) throw new Error(`${eventName(i, firstSeq)}: item id ${k}, the dictionary holds ${idCount}`);
    itemIndex[i] = k;
  }
}

function readWeights(r: ColumnReader, kinds: Uint8Array, firstSeq: number): Float64Array {
  const weights = new Float64Array(kinds.length);
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== KIND_SIGNAL) continue;
    const code = r.varint();
    let w: number;
    if (code % 2 === 0) w = unzigzag(code / 2);
    else if (code === CODE_F32) w = r.f32() + 0;
    else if (code === CODE_F64) w = r.f64() + 0;
    else throw new Error(`${eventName(i, firstSeq)}: unknown weight code ${code}`);
    // Varint weights are within ±2^51; only floats can be out of range. `!(<=)` catches NaN too.
    if (!(Math.abs(w) <= MAX_ABS_WEIGHT)) throw new Error(`${eventName(i, firstSeq)}: ${weightProblem(w)}`);
    weights[i] = w;
  }
  return weights;
}

function readTimes(r: ColumnReader, kinds: Uint8Array, firstSeq: number): Float64Array {
  const atMs = new Float64Array(kinds.length);
  let prevMs = 0;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== KIND_SIGNAL) continue;
    const code = r.varint();
    let at: number;
    if (code % 2 === 0) at = prevMs + unzigzag(code / 2);
    else if (code === CODE_F64) at = r.f64() + 0;
    else throw new Error(`${eventName(i, firstSeq)}: unknown time code ${code}`);
    if (!(Math.abs(at) <= MAX_ABS_AT_MS)) throw new Error(`${eventName(i, firstSeq)}: ${atProblem('at', at)}`);
    atMs[i] = at;
    prevMs = at;
  }
  return atMs;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

function eventName(i: number, firstSeq: number): string {
  return `event ${i} (seqno ${firstSeq + i})`;
}
