/**
 * Event encoding inside a batch payload: one msgpack array of event tuples.
 *   signal: [seq, 1, itemId, type, weight, at]
 *   item:   [seq, 2, id, text | nil, fields | nil]
 * Tuples rather than maps: ~40% fewer bytes per signal, and one msgpackr
 * call per batch rather than per event.
 */
import { Packr } from 'msgpackr';
import type { WalEvent } from '../events.js';

const KIND_SIGNAL = 1;
const KIND_ITEM = 2;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encodeEvents(events: readonly WalEvent[]): Uint8Array {
  const tuples = new Array<unknown[]>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    tuples[i] = e.kind === 'signal'
      ? [e.seq, KIND_SIGNAL, e.itemId, e.type, e.weight, e.at]
      : [e.seq, KIND_ITEM, e.id, e.text, e.fields];
  }
  return packr.pack(tuples);
}

/** Decodes a payload; throws (a plain Error) on anything not shaped like our tuples. */
export function decodeEvents(payload: Uint8Array): WalEvent[] {
  const tuples: unknown = packr.unpack(payload);
  if (!Array.isArray(tuples)) throw new Error('payload is not an array');
  const events = new Array<WalEvent>(tuples.length);
  for (let i = 0; i < tuples.length; i++) events[i] = decodeTuple(tuples[i], i);
  return events;
}

function decodeTuple(t: unknown, index: number): WalEvent {
  if (!Array.isArray(t) || typeof t[0] !== 'number') throw new Error(`event ${index} is not a tuple`);
  if (t[1] === KIND_SIGNAL && t.length === 6 && typeof t[2] === 'string' && typeof t[3] === 'string'
    && typeof t[4] === 'number' && typeof t[5] === 'number') {
    return { kind: 'signal', seq: t[0], itemId: t[2], type: t[3], weight: t[4], at: t[5] };
  }
  if (t[1] === KIND_ITEM && t.length === 5 && typeof t[2] === 'string') {
    return { kind: 'item', seq: t[0], id: t[2], text: (t[3] as string | null) ?? null, fields: (t[4] as Record<string, unknown> | null) ?? null };
  }
  throw new Error(`event ${index} has an unknown shape`);
}
