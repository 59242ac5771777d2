/**
 * Option validation shared by everything that takes an options object (the
 * database, the TCP transport): a bad option is `TidalError` `InvalidInput`
 * naming it, before anything is opened.
 */
import { TidalError } from './errors.js';

/** `value` as an integer in min..max, or InvalidInput naming `field`. */
export function integerOption(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(`${field} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

/** InvalidInput for the first key of `obj` not in `known` (`what` says what kind of key it is). */
export function rejectUnknownOptions(obj: object, known: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(obj)) if (!known.has(key)) throw invalidOption(`unknown ${what} ${JSON.stringify(key)}`);
}

export function invalidOption(message: string): TidalError {
  return new TidalError('InvalidInput', message);
}
