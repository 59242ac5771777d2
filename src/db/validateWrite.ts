/**
 * Write validation, before anything is written: a bad write changes nothing
 * and its error names the field.
 */
import { TidalError } from '../errors.js';
import type { SignalEvent } from '../events.js';
import { MAX_ID_BYTES, MAX_SIGNAL_TYPE_BYTES, MAX_TEXT_BYTES } from '../limits.js';

/** Input of `db.signal()`. */
export interface SignalInput {
  itemId: string;
  type: string;
  /** Units of engagement, finite. Default 1. */
  weight?: number;
  /** When it happened, ms since epoch. Default: the database clock now. */
  at?: number;
}

/** Input of `db.writeItem()`: creates or replaces the item. */
export interface ItemInput {
  id: string;
  /** Searchable text. */
  text?: string;
  /** Opaque fields stored with the item (msgpack-encodable values). */
  fields?: Record<string, unknown>;
}

const SIGNAL_KEYS = new Set(['itemId', 'type', 'weight', 'at']);
const ITEM_KEYS = new Set(['id', 'text', 'fields']);

/** The signal event for `input` at seqno `seq`, built directly (one object per write on the hot path). */
export function validateSignal(input: SignalInput, seq: number, now: () => number): SignalEvent {
  checkShape(input, SIGNAL_KEYS, 'signal');
  return {
    kind: 'signal',
    seq,
    itemId: checkString('itemId', input.itemId, MAX_ID_BYTES),
    type: checkString('type', input.type, MAX_SIGNAL_TYPE_BYTES),
    weight: checkFinite('weight', input.weight ?? 1),
    at: checkFinite('at', input.at ?? now()),
  };
}

export function validateItem(input: ItemInput): { id: string; text: string | null; fields: Record<string, unknown> | null } {
  checkShape(input, ITEM_KEYS, 'item');
  const text = input.text ?? null;
  if (text !== null && (typeof text !== 'string' || Buffer.byteLength(text) > MAX_TEXT_BYTES)) {
    throw new TidalError('InvalidInput', `text must be a string of at most ${MAX_TEXT_BYTES} bytes`);
  }
  const fields = input.fields ?? null;
  if (fields !== null && (typeof fields !== 'object' || Array.isArray(fields))) {
    throw new TidalError('InvalidInput', 'fields must be a plain object');
  }
  return { id: checkString('id', input.id, MAX_ID_BYTES), text, fields };
}

function checkShape(input: object, keys: Set<string>, what: string): void {
  if (typeof input !== 'object' || input === null) throw new TidalError('InvalidInput', `${what} must be an object`);
  for (const key in input) if (!keys.has(key)) throw new TidalError('InvalidInput', `unknown ${what} field ${JSON.stringify(key)}`);
}

function checkString(field: string, value: unknown, maxBytes: number): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TidalError('InvalidInput', `${field} must be a non-empty string, got ${describe(value)}`);
  }
  if (value.length * 3 > maxBytes && Buffer.byteLength(value) > maxBytes) {
    throw new TidalError('InvalidInput', `${field} is ${Buffer.byteLength(value)} bytes, the limit is ${maxBytes}`);
  }
  return value;
}

function checkFinite(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TidalError('InvalidInput', `${field} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
