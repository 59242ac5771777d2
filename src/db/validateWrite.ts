/**
 * Write validation, before anything gets a seqno: a bad write changes
 * nothing, its error names the field, and whatever passes is exactly what
 * the WAL encodes and decodes back (see eventContent.ts, itemFields.ts).
 */
import { TidalError } from '../errors.js';
import { atProblem, describe, itemIdProblem, signalTypeProblem, textProblem, weightProblem } from '../eventContent.js';
import type { SignalEvent } from '../events.js';
import { checkItemFields } from '../items/itemFields.js';

/** Input of `db.signal()`. */
export interface SignalInput {
  itemId: string;
  type: string;
  /** Units of engagement, finite, |weight| <= 2^53. Default 1. */
  weight?: number;
  /**
   * When it happened, ms since epoch, within ±8.64e15 and at most
   * `maxFutureMs` ahead of the database clock. Default: the clock now.
   */
  at?: number;
}

/** Input of `db.writeItem()`: creates or replaces the item. */
export interface ItemInput {
  id: string;
  /** Searchable text. */
  text?: string | null;
  /** Fields stored with the item: plain JSON-like data (see docs/input-policy.md). Stored as a frozen copy. */
  fields?: Record<string, unknown> | null;
}

/** What validateSignal needs of the database: its clock and how far ahead of it `at` may be. */
export interface SignalClock {
  readonly clock: () => number;
  readonly maxFutureMs: number;
}

const SIGNAL_KEYS = new Set(['itemId', 'type', 'weight', 'at']);
const ITEM_KEYS = new Set(['id', 'text', 'fields']);

/** The signal event for `input` at seqno `seq`, built directly (one object per write on the hot path). */
export function validateSignal(input: SignalInput, seq: number, clock: SignalClock): SignalEvent {
  checkShape(input, SIGNAL_KEYS, 'signal');
  const { itemId, type } = input;
  const weight = input.weight ?? 1;
  orThrow(itemIdProblem('itemId', itemId) ?? signalTypeProblem('type', type) ?? weightProblem(weight));
  let at = input.at;
  if (at === undefined) at = clock.clock();
  else orThrow(atProblem('at', at) ?? futureProblem(at, clock));
  // + 0 stores -0 as 0: msgpack writes both as 0, so a reopened or replicated node must hold the same.
  return { kind: 'signal', seq, itemId, type, weight: weight + 0, at: at + 0 };
}

/** The item `input` describes, with a frozen copy of its fields. */
export function validateItem(input: ItemInput): { id: string; text: string | null; fields: Readonly<Record<string, unknown>> | null } {
  checkShape(input, ITEM_KEYS, 'item');
  const text = input.text ?? null;
  orThrow(itemIdProblem('id', input.id) ?? textProblem(text));
  if (input.fields === undefined || input.fields === null) return { id: input.id, text, fields: null };
  const fields = checkItemFields(input.fields);
  if (!fields.ok) throw new TidalError('InvalidInput', fields.problem);
  return { id: input.id, text, fields: fields.fields };
}

function futureProblem(at: number, clock: SignalClock): string | null {
  const now = clock.clock();
  if (at - now <= clock.maxFutureMs) return null;
  return `at ${at} is ${at - now} ms ahead of the database clock (${now}); the limit is maxFutureMs = ${clock.maxFutureMs}`;
}

function orThrow(problem: string | null): void {
  if (problem !== null) throw new TidalError('InvalidInput', problem);
}

function checkShape(input: unknown, keys: Set<string>, what: string): asserts input is object {
  if (typeof input !== 'object' || input === null) throw new TidalError('InvalidInput', `${what} must be an object, got ${describe(input)}`);
  for (const key in input) if (!keys.has(key)) throw new TidalError('InvalidInput', `unknown ${what} field ${JSON.stringify(key)}`);
}
