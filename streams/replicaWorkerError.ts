/**
 * Errors of a replica worker's handle itself, beside the TidalErrors and
 * WalErrors that cross the channel from its database.
 *
 * `TooManyRequests`: the handle already has `maxInFlightRequests` reads
 * unanswered. Nothing was sent; await some before sending more. (As
 * TigerBeetle's client refuses a request past its concurrency limit rather
 * than queue without bound.)
 */

/** Codes of {@link ReplicaWorkerError}. */
export type ReplicaWorkerErrorCode = 'TooManyRequests';

/** A read refused by a {@link ReplicaWorker} itself (not by its database), with a stable `code`. */
export class ReplicaWorkerError extends Error {
  override readonly name = 'ReplicaWorkerError';
  constructor(
    readonly code: ReplicaWorkerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
