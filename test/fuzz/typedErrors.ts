/**
 * Property (a) of every fuzzer: whatever tidaldb throws or rejects with is
 * a typed error (`WalError` or `TidalError`, src/errors.ts), never a plain
 * Error, TypeError or RangeError, and never a non-Error.
 */
import { TidalError, WalError } from '../../src/index.js';

export function isTypedError(err: unknown): err is WalError | TidalError {
  return err instanceof WalError || err instanceof TidalError;
}

/** Throws an assertion naming the untyped error (with its stack) unless `err` is typed. */
export function assertTypedError(err: unknown, context: string): asserts err is WalError | TidalError {
  if (isTypedError(err)) return;
  const detail = err instanceof Error ? `${err.constructor.name}: ${err.message}\n${err.stack ?? ''}` : `a thrown ${typeof err}: ${String(err)}`;
  throw new Error(`untyped error from ${context}: ${detail}`);
}

/** The outcome of `run`: its value, or the typed error it threw or rejected with (an untyped one fails). */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WalError | TidalError };

export function outcomeOf<T>(context: string, run: () => T): Outcome<T> {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    assertTypedError(err, context);
    return { ok: false, error: err };
  }
}

export async function asyncOutcomeOf<T>(context: string, run: () => Promise<T>): Promise<Outcome<T>> {
  let promise: Promise<T>;
  try {
    promise = run();
  } catch (err) {
    // A function that returns a Promise must reject, not throw.
    throw new Error(`${context} threw synchronously instead of rejecting: ${String(err)}`, { cause: err });
  }
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    assertTypedError(err, context);
    return { ok: false, error: err };
  }
}
