import { defer, ignoreElements, merge, mergeMap, type Observable } from 'rxjs';
import type { ReplicationSource, WalSegmentPayload } from '../src/index.js';

/** What sealedSegments uses of a leader: its `replication` seam's seal and sealed stream (a TidalDb has it). */
export interface SealingDb {
  readonly replication: Pick<ReplicationSource, 'seal$' | 'sealed$'>;
}

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
 * @example
 * sealedSegments(db, sealTicks(2000)).subscribe((s) => console.log(`sealed ${s.firstSeq}..${s.lastSeq}`));
 *
 * @param db the leader (a TidalDb, or anything with its `replication` seal and sealed stream)
 * @param ticks$ when to seal, e.g. `sealTicks(2000)`
 * @param options.track runs each seal as work in flight that outlives an unsubscribe (a pipeline's stop() waits for it)
 * @see sealTicks
 * @see gateSeals
 * @see shipSegments
 */
export function sealedSegments(
  db: SealingDb, ticks$: Observable<unknown>, options: { track?: <T>(work$: Observable<T>) => Observable<T> } = {},
): Observable<WalSegmentPayload> {
  // Seal on each tick; the sealed segment itself arrives through sealed$ (synchronously in
  // memory, once durable on disk), so only a failure of the seal matters here: it errors the stream.
  const track = options.track ?? (<T>(work$: Observable<T>) => work$);
  return defer(() => {
    const source = db.replication;
    const seals$ = ticks$.pipe(mergeMap(() => track(source.seal$()).pipe(ignoreElements())));
    return merge(source.sealed$, seals$);
  });
}
