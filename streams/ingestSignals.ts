import { catchError, concatMap, defer, EMPTY, filter, from, last, type Observable, type Observer, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { type SignalInput, TidalError, type TidalDb } from '../src/index.js';
import { batchUntil } from './internal/batchUntil.js';
import { DEFAULT_INGEST_MAX_BATCH, DEFAULT_SCHEDULER } from './defaults.js';
import { DEFAULT_INGEST_MAX_DELAY_MS } from './defaults.js';

/** A signal `ingestSignals` did not write, and why (always `TidalError` `InvalidInput`). */
export interface IngestRejection {
  readonly input: SignalInput;
  readonly error: TidalError;
}

/** Options of {@link ingestSignals}: batch size and delay, where bad signals go, and the scheduler. */
export interface IngestSignalsOptions {
  /** Signals per `signalBatch`, >= 1. Default 1000. */
  readonly maxBatch?: number;
  /** Longest a signal waits for its batch to fill, in ms. Default 1. */
  readonly maxDelayMs?: number;
  /** Where refused signals go; the stream goes on. Default: dropped silently (count them here). */
  readonly rejected?: Pick<Observer<IngestRejection>, 'next'>;
  readonly scheduler?: SchedulerLike;
}

/**
 * Turns a stream of signals into committed batches (`db.signalBatch`), in
 * order, and emits each batch's last seqno once it is durable as the
 * database is configured. A batch closes when it holds `maxBatch` signals or
 * `maxDelayMs` after its first. A bad signal goes to `rejected` (as
 * `validateChecksum` does with bad segments) and the rest of its batch is
 * still written; the stream goes on. A database failure (Failed, Closed)
 * errors the stream.
 *
 *   source   :  -abc----d-X--|          (maxBatch 3, maxDelayMs 5; X is invalid)
 *   result   :  ---3---------(4|)       (seqnos: a..c are 1..3, d is 4)
 *   rejected :  -------------X
 *
 * @example
 * signals$.pipe(ingestSignals(db, { maxBatch: 500, rejected: { next: (r) => log(r.error.message) } }))
 *   .subscribe((seq) => console.log('durable up to', seq));
 * @see TidalDb.signalBatch
 */
export function ingestSignals(db: TidalDb, options: IngestSignalsOptions = {}): OperatorFunction<SignalInput, number> {
  const maxBatch = options.maxBatch ?? DEFAULT_INGEST_MAX_BATCH;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_INGEST_MAX_DELAY_MS;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new TidalError('InvalidInput', `ingestSignals: maxBatch must be an integer >= 1, got ${String(maxBatch)}`);
  if (typeof maxDelayMs !== 'number' || !(maxDelayMs >= 0)) throw new TidalError('InvalidInput', `ingestSignals: maxDelayMs must be a number of ms >= 0, got ${String(maxDelayMs)}`);
  const rejected = options.rejected ?? { next: () => {} };
  return (source) => source.pipe(
    batchUntil(maxBatch, maxDelayMs, options.scheduler ?? DEFAULT_SCHEDULER),
    concatMap((batch) => commit(db, batch, rejected)),
  );
}

/** The batch in one call; if the database refuses it (a bad element), each element on its own. */
function commit(db: TidalDb, batch: SignalInput[], rejected: Pick<Observer<IngestRejection>, 'next'>): Observable<number> {
  return db.signalBatch$(batch).pipe(catchError((err: unknown) => (isInvalid(err) ? oneByOne(db, batch, rejected) : rethrow(err))));
}

function oneByOne(db: TidalDb, batch: SignalInput[], rejected: Pick<Observer<IngestRejection>, 'next'>): Observable<number> {
  return from(batch).pipe(
    concatMap((input) => db.signalBatch$([input]).pipe(catchError((err: unknown) => {
      if (!isInvalid(err)) return rethrow(err);
      rejected.next({ input, error: err });
      return EMPTY;
    }))),
    last(undefined, -1),
    filter((seq) => seq >= 0), // every element refused: nothing was written, no seqno to emit
  );
}

function isInvalid(err: unknown): err is TidalError {
  return err instanceof TidalError && err.code === 'InvalidInput';
}

function rethrow(err: unknown): Observable<never> {
  return defer(() => {
    throw err;
  });
}
