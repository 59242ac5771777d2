/**
 * The batch payload of version 2: one msgpack array of event tuples.
 *   signal: [seq, 1, itemId, type, weight, at]
 *   item:   [seq, 2, id, text | nil, fields | nil]
 * Tuples rather than maps: ~40% fewer bytes per signal, and one msgpackr
 * call per batch rather than per event. Still ~35 bytes a signal on the
 * bench workload (every event repeats its item id, type and seqno), which
 * is why writers now write v3 (encodeColumnarPayload.ts); v2 batches stay
 * readable, and `encodeEvents` stays for tools and tests that write them.
 */
import { atProblem, itemIdProblem, signalTypeProblem, textProblem, weightProblem } from '../eventContent.js';
import type { WalEvent } from '../events.js';
import { checkItemFields } from '../items/itemFields.js';
import { KIND_ITEM, KIND_SIGNAL } from './batchColumns.js';
import { payloadPackr } from './payloadPackr.js';

export function encodeEvents(events: readonly WalEvent[]): Uint8Array {
  const tuples = new Array<unknown[]>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    tuples[i] = e.kind === 'signal'
      ? [e.seq, KIND_SIGNAL, e.itemId, e.type, e.weight, e.at]
      : [e.seq, KIND_ITEM, e.id, e.text, e.fields];
  }
  return payloadPackr.pack(tuples);
}

/**
 * Decodes a payload and checks every event's content as a write would have
 * (well-formed names, finite weights, legal times, JSON-like fields), so a
 * forged event is refused before anything is applied. Throws a plain Error
 * naming the event and the problem; the batch decoder wraps it as Corruption.
 */
export function decodeEvents(payload: Uint8Array): WalEvent[] {
  const tuples: unknown = payloadPackr.unpack(payload);
  if (!Array.isArray(tuples)) throw new Error('payload is not an array');
  const events = new Array<WalEvent>(tuples.length);
  for (let i = 0; i < tuples.length; i++) events[i] = decodeTuple(tuples[i], i);
  return events;
}

function decodeTuple(t: unknown, index: number): WalEvent {
  if (!Array.isArray(t) || !Number.isSafeInteger(t[0]) || (t[0] as number) < 1) throw new Error(`event ${index} is not a tuple starting with a seqno`);
  const seq = t[0] as number;
  if (t[1] === KIND_SIGNAL && t.length === 6) {
    const problem = itemIdProblem('itemId', t[2]) ?? signalTypeProblem('type', t[3]) ?? weightProblem(t[4]) ?? atProblem('at', t[5]);
    if (problem !== null) throw new Error(`event ${index} (seqno ${seq}): ${problem}`);
    return { kind: 'signal', seq, itemId: t[2] as string, type: t[3] as string, weight: (t[4] as number) + 0, at: (t[5] as number) + 0 };
  }
  if (t[1] === KIND_ITEM && t.length === 5) {
    const text: unknown = t[3] ?? null;
    const problem = itemIdProblem('id', t[2]) ?? textProblem(text);
    if (problem !== null) throw new Error(`event ${index} (seqno ${seq}): ${problem}`);
    return { kind: 'item', seq, id: t[2] as string, text: text as string | null, fields: decodeFields(t[4], index, seq) };
  }
  throw new Error(`event ${index} (seqno ${seq}) has an unknown shape`);
}

function decodeFields(raw: unknown, index: number, seq: number): Readonly<Record<string, unknown>> | null {
  if (raw === null || raw === undefined) return null;
  const fields = checkItemFields(raw);
  if (!fields.ok) throw new Error(`event ${index} (seqno ${seq}): ${fields.problem}`);
  return fields.fields;
}
