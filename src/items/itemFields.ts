/**
 * An item's `fields`: plain JSON-like data, checked and copied before it
 * gets a seqno, so what the WAL stores decodes back to exactly what the
 * database holds. Pure: values in, a frozen copy or a problem out.
 *
 * Accepted: null, booleans, finite numbers (-0 is stored as 0), well-formed
 * strings, dense arrays and plain objects (prototype Object.prototype or
 * null) of those, nested at most MAX_FIELDS_DEPTH deep and at most
 * MAX_FIELDS_BYTES counted. Refused: undefined, functions, symbols, bigints,
 * NaN and ±Infinity, class instances (Date, Map, typed arrays...), sparse
 * arrays, symbol keys, the key '__proto__' (msgpack decoders rename or drop
 * it), lone surrogates, and cycles (they exceed the depth).
 */
import { MAX_FIELDS_BYTES, MAX_FIELDS_DEPTH } from '../limits.js';
import { isWellFormed } from '../wellFormed.js';

/** A frozen copy of valid fields, or what is wrong with them. */
export type FieldsCheck =
  | { readonly ok: true; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly problem: string };

/** Bytes counted for a value that is not a string: a msgpack float64 is 9. */
const SCALAR_BYTES = 9;

class FieldsProblem {
  constructor(readonly message: string) {}
}

/** Checks `value` as an item's `fields` and returns a deep-frozen copy. */
export function checkItemFields(value: unknown): FieldsCheck {
  if (!isPlainObject(value)) return { ok: false, problem: `fields must be a plain object, got ${describeValue(value)}` };
  const budget = { bytes: 0 };
  try {
    return { ok: true, fields: copyObject(value, 'fields', 1, budget) };
  } catch (err) {
    if (err instanceof FieldsProblem) return { ok: false, problem: err.message };
    throw err;
  }
}

function copyValue(v: unknown, path: string, depth: number, budget: { bytes: number }): unknown {
  if (v === null || typeof v === 'boolean') return charge(v, SCALAR_BYTES, path, budget);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new FieldsProblem(`${path} must be a finite number, got ${String(v)}`);
    return charge(v === 0 ? 0 : v, SCALAR_BYTES, path, budget);
  }
  if (typeof v === 'string') {
    if (!isWellFormed(v)) throw new FieldsProblem(`${path} is not well-formed Unicode (it holds a lone surrogate)`);
    return charge(v, Buffer.byteLength(v) + SCALAR_BYTES, path, budget);
  }
  if (Array.isArray(v)) return copyArray(v, path, depth + 1, budget);
  if (isPlainObject(v)) return copyObject(v, path, depth + 1, budget);
  throw new FieldsProblem(`${path} must be null, a boolean, a finite number, a string, an array or a plain object, got ${describeValue(v)}`);
}

function copyArray(v: readonly unknown[], path: string, depth: number, budget: { bytes: number }): readonly unknown[] {
  checkDepth(path, depth);
  charge(null, SCALAR_BYTES, path, budget);
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) {
    if (!(i in v)) throw new FieldsProblem(`${path}[${i}] is a hole: arrays must be dense`);
    out[i] = copyValue(v[i], `${path}[${i}]`, depth, budget);
  }
  return Object.freeze(out);
}

function copyObject(v: object, path: string, depth: number, budget: { bytes: number }): Readonly<Record<string, unknown>> {
  checkDepth(path, depth);
  charge(null, SCALAR_BYTES, path, budget);
  if (Object.getOwnPropertySymbols(v).length > 0) throw new FieldsProblem(`${path} has a symbol key: keys must be strings`);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    if (key === '__proto__') throw new FieldsProblem(`${path} has the key "__proto__", which msgpack cannot carry`);
    if (!isWellFormed(key)) throw new FieldsProblem(`${path} has a key that is not well-formed Unicode`);
    charge(null, Buffer.byteLength(key), path, budget);
    out[key] = copyValue((v as Record<string, unknown>)[key], `${path}.${key}`, depth, budget);
  }
  return Object.freeze(out);
}

function checkDepth(path: string, depth: number): void {
  if (depth > MAX_FIELDS_DEPTH) throw new FieldsProblem(`${path} is nested deeper than ${MAX_FIELDS_DEPTH} levels (a cycle?)`);
}

function charge<T>(v: T, bytes: number, path: string, budget: { bytes: number }): T {
  budget.bytes += bytes;
  if (budget.bytes > MAX_FIELDS_BYTES) throw new FieldsProblem(`fields exceed ${MAX_FIELDS_BYTES} bytes (at ${path})`);
  return v;
}

function isPlainObject(v: unknown): v is object {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an instance of ${(v as object).constructor?.name ?? 'an unknown class'}`;
  if (typeof v === 'string') return 'a string';
  return typeof v === 'symbol' ? 'a symbol' : typeof v === 'function' ? 'a function' : `${typeof v} ${String(v)}`;
}
