import { concatWith, defer, type Observable, retry, type SchedulerLike, tap, throwError, timer } from 'rxjs';
import { backoffDelayMs } from './backoffDelayMs.js';
import { RECONNECT_BASE_MS, RECONNECT_CAP_MS } from './tcpDefaults.js';
import { DEFAULT_SCHEDULER } from '../defaults.js';

export interface ReconnectOptions {
  /** Uniform draws in [0, 1) for the jitter. Default Math.random. */
  readonly random?: () => number;
  /** The ceiling of the first wait, in ms. Default 100. */
  readonly baseMs?: number;
  /** The largest ceiling, in ms. Default 10 000. */
  readonly capMs?: number;
  /** Told of each wait before it starts: the attempt number (from 0), the wait in ms and why the session ended. */
  readonly onRetry?: (attempt: number, delayMs: number, cause: unknown) => void;
  readonly scheduler?: SchedulerLike;
}

/** Marks a session that completed: to the retry loop it is a lost connection like any other. */
export class SessionEnded extends Error {
  override readonly name = 'SessionEnded';
  constructor() {
    super('the session ended');
  }
}

/**
 * Runs `session()` forever: whenever a session ends (errors or completes) it
 * starts a new one after {@link backoffDelayMs}`(attempt, random())`. A session
 * that emits has succeeded (the TCP follower emits once a connection has
 * stayed up for deadAfterMs), and resets `attempt` to 0. Unsubscribing ends
 * the current session and any pending wait.
 *
 * random = 0.5, base 100 ms; a session that fails after 2 ms each time:
 *
 *   session subs : ^-!  (wait 50)  ^-!  (wait 100)  ^-!  (wait 200) …
 *   session subs : ^-c--!  (c: connected, so the next wait is 50 again)
 *
 * @example
 * reconnectWithBackoff(() => connectOnce$(), { onRetry: (n, ms) => log(n, ms) }).subscribe();
 *
 * @param session a fresh connection attempt; emits once it has succeeded, ends (completes or errors) when the connection is lost
 * @see backoffDelayMs
 */
export function reconnectWithBackoff<T>(session: () => Observable<T>, options: ReconnectOptions = {}): Observable<T> {
  const scheduler = options.scheduler ?? DEFAULT_SCHEDULER;
  const random = options.random ?? Math.random;
  const baseMs = options.baseMs ?? RECONNECT_BASE_MS;
  const capMs = options.capMs ?? RECONNECT_CAP_MS;
  return defer(session).pipe(
    concatWith(throwError(() => new SessionEnded())),
    retry({
      resetOnSuccess: true,
      delay: (cause: unknown, retryCount: number) => {
        const attempt = retryCount - 1;
        const delayMs = backoffDelayMs(attempt, random(), baseMs, capMs);
        return timer(delayMs, scheduler).pipe(tap({ subscribe: () => options.onRetry?.(attempt, delayMs, cause) }));
      },
    }),
  );
}
