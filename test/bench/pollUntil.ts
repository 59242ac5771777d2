/** Polling a condition on a timer, for the benchmarks that wait on another process. */

export interface PollOptions {
  /** The clock's zero, a performance.now() reading. Default: now. */
  readonly sinceMs?: number;
  /** Check this often, in ms. Default 1. */
  readonly everyMs?: number;
  /** Give up after this many ms since `sinceMs`. */
  readonly timeoutMs: number;
}

/**
 * ms from `sinceMs` until `done()` holds (async or not), checked every
 * `everyMs`; Infinity after `timeoutMs`. A check that throws rejects.
 */
export async function pollUntil(done: () => boolean | Promise<boolean>, options: PollOptions): Promise<number> {
  const sinceMs = options.sinceMs ?? performance.now();
  const everyMs = options.everyMs ?? 1;
  for (;;) {
    if (await done()) return performance.now() - sinceMs;
    if (performance.now() - sinceMs > options.timeoutMs) return Infinity;
    await sleepMs(everyMs);
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
