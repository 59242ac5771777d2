import { mergeMap, type Observer, type OperatorFunction, EMPTY, of } from 'rxjs';
import { TidalError, WalError, type WalSegmentPayload } from '../src/index.js';
import { type DecodedSegment } from '../src/wal/decodeSegment.js';
import { ownedPayload, verifyPayload } from '../src/wal/verifyPayload.js';

/** A shipped segment whose checksums all held, with its decoded batches. */
export interface VerifiedSegment {
  readonly payload: WalSegmentPayload;
  /** The decoded header, batches and footer, for idempotentReplay to apply. @internal */
  readonly decoded: DecodedSegment;
}

/** A shipment (a segment, or a bootstrap checkpoint) a follower did not apply, and why. */
export interface SegmentRejection {
  readonly kind: 'segment' | 'checkpoint';
  /** The segment's id; null for a checkpoint (it covers seqnos firstSeq..lastSeq, i.e. 1..its seqno). */
  readonly segmentId: number | null;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** `WalError` 'Corruption' (checksums), 'Gap' (would skip seqnos), or what applying threw. */
  readonly error: Error;
}

/**
 * Validates each shipped segment before anything is applied: BLAKE3 over the
 * whole bytes against `checksum`, then the segment decoder's own checks
 * (every batch's BLAKE3, the footer's, seqno continuity). A mismatch is a
 * `WalError` `Corruption` sent to `rejected`; the stream goes on.
 *
 *   source   :  -a-b-c-
 *   result   :  -a---c-      (b's bytes were flipped in transit)
 *   rejected :  ---B---      (B: WalError Corruption naming segment and offset)
 *
 * @example
 * ```ts
 * const rejected = new Subject<SegmentRejection>();
 * rejected.subscribe((r) => console.log(r.error.message)); // segment 1..5: checksum mismatch ...
 * segments$.pipe(validateChecksum(rejected), idempotentReplay(replica))
 *   .subscribe((o) => console.log(o.kind)); // applied, skipped or gap
 * ```
 *
 * @param rejected where rejections go (e.g. a Subject the receiver watches)
 * @see idempotentReplay
 */
export function validateChecksum(rejected: Pick<Observer<SegmentRejection>, 'next'>): OperatorFunction<WalSegmentPayload, VerifiedSegment> {
  if (typeof rejected?.next !== 'function') throw new TidalError('InvalidInput', 'validateChecksum: rejected must be an observer with next()');
  return mergeMap((payload) => {
    const verified = verifySegment(payload);
    if (verified instanceof Error) {
      rejected.next(rejection(payload, verified));
      return EMPTY;
    }
    return of(verified);
  });
}

/** The check itself (src's verifyPayload): a VerifiedSegment, or the WalError saying what failed. */
export function verifySegment(payload: WalSegmentPayload): VerifiedSegment | WalError {
  try {
    const owned = ownedPayload(payload);
    return { payload: owned, decoded: verifyPayload(owned) };
  } catch (err) {
    const where = `segment ${payload?.segmentId} (seqnos ${payload?.firstSeq}..${payload?.lastSeq})`;
    return err instanceof WalError ? err : new WalError('Corruption', `${where}: ${(err as Error).message}`, { cause: err });
  }
}

export function rejection(payload: WalSegmentPayload, error: Error): SegmentRejection {
  return { kind: 'segment', segmentId: payload.segmentId, firstSeq: payload.firstSeq, lastSeq: payload.lastSeq, error };
}
