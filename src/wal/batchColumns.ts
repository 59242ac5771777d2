/**
 * A decoded batch as columns: what the follower's apply loop reads, with no
 * object per signal. A v3 payload decodes straight into this; a v2 payload
 * (one tuple per event) is turned into it after decoding.
 *
 * Event i of the batch has seqno `firstSeq + i` and is
 * - a signal when `kinds[i] === KIND_SIGNAL`: item `itemIds[itemIndex[i]]`,
 *   type `types[typeIndex[i]]`, weight `weights[i]`, time `atMs[i]`;
 * - an item event when `kinds[i] === KIND_ITEM`: `itemEvents[itemIndex[i]]`
 *   (item events are few and carry text and fields, so they stay objects).
 */
import type { ItemEvent, WalEvent } from '../events.js';

/** `kinds[i]` of a signal (the same code as a v2 tuple's kind element). */
export const KIND_SIGNAL = 1;
/** `kinds[i]` of an item event. */
export const KIND_ITEM = 2;

/** One batch's events as columns (see the file comment); `count` events, every array that long. */
export interface BatchColumns {
  readonly count: number;
  /** Per event: KIND_SIGNAL or KIND_ITEM. */
  readonly kinds: Uint8Array;
  /** Per signal: index into `itemIds`; per item event: index into `itemEvents`. */
  readonly itemIndex: Uint32Array;
  /** Per signal: index into `types` (0 for item events). */
  readonly typeIndex: Uint32Array;
  /** Per signal: its weight (0 for item events). */
  readonly weights: Float64Array;
  /** Per signal: its time, ms since epoch (0 for item events). */
  readonly atMs: Float64Array;
  /** The batch's item id dictionary (v3: ascending). */
  readonly itemIds: readonly string[];
  /** The batch's signal type dictionary. */
  readonly types: readonly string[];
  /** The item events, in seqno order, each with its seqno. */
  readonly itemEvents: readonly ItemEvent[];
}

/** The events of `c` as objects, seqnos from `firstSeq`: for readers that want WalEvents (CLI, recovery, tests). */
export function eventsOfColumns(c: BatchColumns, firstSeq: number): WalEvent[] {
  const events = new Array<WalEvent>(c.count);
  for (let i = 0; i < c.count; i++) {
    events[i] = c.kinds[i] === KIND_SIGNAL
      ? { kind: 'signal', seq: firstSeq + i, itemId: c.itemIds[c.itemIndex[i]!]!, type: c.types[c.typeIndex[i]!]!, weight: c.weights[i]!, at: c.atMs[i]! }
      : c.itemEvents[c.itemIndex[i]!]!;
  }
  return events;
}

/** Columns of already decoded (and checked) events: how a v2 batch reaches the columnar apply loop. */
export function columnsOfEvents(events: readonly WalEvent[]): BatchColumns {
  const n = events.length;
  const kinds = new Uint8Array(n);
  const itemIndex = new Uint32Array(n);
  const typeIndex = new Uint32Array(n);
  const weights = new Float64Array(n);
  const atMs = new Float64Array(n);
  const ids = new Map<string, number>();
  const types = new Map<string, number>();
  const itemEvents: ItemEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    if (e.kind === 'item') {
      kinds[i] = KIND_ITEM;
      itemIndex[i] = itemEvents.push(e) - 1;
      continue;
    }
    kinds[i] = KIND_SIGNAL;
    itemIndex[i] = dictionaryIndex(ids, e.itemId);
    typeIndex[i] = dictionaryIndex(types, e.type);
    weights[i] = e.weight;
    atMs[i] = e.at;
  }
  return { count: n, kinds, itemIndex, typeIndex, weights, atMs, itemIds: [...ids.keys()], types: [...types.keys()], itemEvents };
}

/** The index of `key` in `dictionary` (insertion order), adding it when new. */
export function dictionaryIndex(dictionary: Map<string, number>, key: string): number {
  let index = dictionary.get(key);
  if (index === undefined) {
    index = dictionary.size;
    dictionary.set(key, index);
  }
  return index;
}
