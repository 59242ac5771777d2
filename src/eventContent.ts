/**
 * What a well-formed event holds, checked the same way where a write gets
 * its seqno (validateWrite.ts, as `InvalidInput`) and where a segment is
 * decoded (eventCodec.ts, as `Corruption`): nothing is applied that a
 * leader could not have written. Pure: each check returns null or a problem.
 */
import { MAX_ABS_AT_MS, MAX_ABS_WEIGHT, MAX_ID_BYTES, MAX_SIGNAL_TYPE_BYTES, MAX_TEXT_BYTES } from './limits.js';
import { isWellFormed } from './wellFormed.js';

/** Null when `value` is a non-empty, well-formed string of at most `maxBytes` UTF-8 bytes. */
export function nameProblem(field: string, value: unknown, maxBytes: number): string | null {
  if (typeof value !== 'string' || value.length === 0) return `${field} must be a non-empty string, got ${describe(value)}`;
  // A UTF-16 unit is at most 3 UTF-8 bytes: measure only strings that might be too long.
  if (value.length * 3 > maxBytes && Buffer.byteLength(value) > maxBytes) {
    return `${field} is ${Buffer.byteLength(value)} bytes, the limit is ${maxBytes}`;
  }
  if (!isWellFormed(value)) return `${field} is not well-formed Unicode (it holds a lone surrogate): ${JSON.stringify(value.slice(0, 64))}`;
  return null;
}

export function itemIdProblem(field: string, value: unknown): string | null {
  return nameProblem(field, value, MAX_ID_BYTES);
}

export function signalTypeProblem(field: string, value: unknown): string | null {
  return nameProblem(field, value, MAX_SIGNAL_TYPE_BYTES);
}

/** Null when `value` is a finite weight with |weight| <= MAX_ABS_WEIGHT. */
export function weightProblem(value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `weight must be a finite number, got ${describe(value)}`;
  if (Math.abs(value) > MAX_ABS_WEIGHT) return `weight ${value} is beyond ±${MAX_ABS_WEIGHT}`;
  return null;
}

/** Null when `value` is a time in the legal range, ±MAX_ABS_AT_MS ms since epoch. */
export function atProblem(field: string, value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${field} must be a finite number of ms since epoch, got ${describe(value)}`;
  if (Math.abs(value) > MAX_ABS_AT_MS) return `${field} ${value} is outside the legal range ±${MAX_ABS_AT_MS} ms since epoch (is it in microseconds?)`;
  return null;
}

/** Null when `value` is null or a well-formed string of at most MAX_TEXT_BYTES. */
export function textProblem(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') return `text must be a string, got ${describe(value)}`;
  if (value.length * 3 > MAX_TEXT_BYTES && Buffer.byteLength(value) > MAX_TEXT_BYTES) {
    return `text is ${Buffer.byteLength(value)} bytes, the limit is ${MAX_TEXT_BYTES}`;
  }
  if (!isWellFormed(value)) return 'text is not well-formed Unicode (it holds a lone surrogate)';
  return null;
}

/** A short description of any value for an error message; never throws, whatever the value (no toString is called). */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
    case 'bigint': return `${value.toString()}n`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    case 'object': return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
    default: return `${value as number | boolean | undefined}`;
  }
}
