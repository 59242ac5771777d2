import { defer, from, ignoreElements, merge, mergeMap, type Observable } from 'rxjs';
import type { TidalDb, WalSegmentPayload } from '../src/index.js';

/**
 * The sealed-segment stream of a leader: seals the active segment on each
 * tick (a no-op when it holds no event) and emits every segment sealed while
 * subscribed, size-triggered ones included, in order, once durable.
 *
 *   ticks$ :  ----t-------t-------t--
 *   writes :  -ww---w-w------------   (size seal at S)
 *   result :  ----a--S----b--------   (no segment at the third tick: nothing to seal)
 *
 * A failed seal (I/O) errors the stream: the log stopped.
 *
 * @param db the leader
 * @param ticks$ when to seal, e.g. `sealTicks(2000)`
 * @param options.track counts each seal's promise as in flight (a pipeline's stop() waits for it)
 * @see sealTicks
 * @see shipSegments
 */
export function sealedSegments(
  db: TidalDb, ticks$: Observable<unknown>, options: { track?: <T>(p: Promise<T>) => Promise<T> } = {},
): Observable<WalSegmentPayload> {
  // Seal on each tick; the sealed segment itself arrives through wal.sealed$ (synchronously in
  // memory, once durable on disk), so only a failure of the seal matters here: it errors the stream.
  const track = options.track ?? ((p) => p);
  const seals$ = ticks$.pipe(
    mergeMap(() => defer(() => from(track(db.wal.seal()))).pipe(ignoreElements())),
  );
  return merge(db.wal.sealed$, seals$);
}
