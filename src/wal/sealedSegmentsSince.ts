import { lastValueFrom, type Observable, toArray } from 'rxjs';
import type { WalSegmentPayload } from './walSegmentPayload.js';

/**
 * The sealed segments holding events after `seq`, in order, each read (by
 * `next$`, the log's "segment after this seqno") only as it is reached: the
 * seed's `sealed_segments_since(seqno)`.
 */
export async function* sealedSegmentsSince(next$: (seq: number) => Observable<WalSegmentPayload>, seq: number): AsyncIterable<WalSegmentPayload> {
  let cursor = seq;
  for (;;) {
    const [next] = await lastValueFrom(next$(cursor).pipe(toArray()));
    if (!next) return;
    yield next;
    cursor = next.lastSeq;
  }
}
