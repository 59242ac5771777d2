/**
 * Field checks for the transports' msgpack messages (TCP frames, JetStream
 * control messages): each takes the decoded value and the name to give it
 * in the error, and throws WalError 'Corruption' naming both when the value
 * is not what the protocol says. `show` renders any decoded value safely.
 */
import { WalError } from '../../src/index.js';

export function corrupt(message: string): WalError {
  return new WalError('Corruption', message);
}

/** A safe integer >= 0 (a seqno, a count). */
export function countValue(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw corrupt(`${name} must be an integer >= 0, got ${show(v)}`);
  return v;
}

/** A finite number (a time in ms). */
export function finiteValue(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw corrupt(`${name} must be a finite number, got ${show(v)}`);
  return v;
}

/** `s` cut to at most `maxChars` UTF-16 units, never between the two halves of a surrogate pair. */
export function cutAtCodePoint(s: string, maxChars: number): string {
  if (s.length <= maxChars) return s;
  const last = s.charCodeAt(maxChars - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars);
}

/**
 * A short rendering of a bad value for an error message, safe for anything
 * msgpackr decodes: never JSON.stringify or String() on a container (a
 * BigInt inside, or a map whose `toString` key is not a function, would
 * throw a TypeError instead of the Corruption being reported).
 */
export function show(v: unknown): string {
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return JSON.stringify(cutAtCodePoint(v, 32) + (v.length > 32 ? '…' : ''));
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : v instanceof Date ? 'a date' : 'a map';
  return String(v); // number, bigint, boolean, undefined: String() cannot fail on these
}
