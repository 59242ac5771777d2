import { catchError, defer, map, type Observable, of } from 'rxjs';
import { type ReplicationTarget, WalError } from '../src/index.js';
import type { CheckpointShipment } from './shipment.js';

/** What installing a shipped checkpoint did. */
export type CheckpointOutcome =
  /** The follower's state is now the checkpoint's (durably, with a dir). */
  | { readonly kind: 'installed'; readonly seq: number }
  /** The follower was already at or past it: nothing changed. */
  | { readonly kind: 'stale'; readonly seq: number }
  /** Corrupt, fenced or unstorable: nothing changed. */
  | { readonly kind: 'failed'; readonly seq: number; readonly error: Error };

/** What installCheckpoint$ uses of a follower: its `replication` seam's install (a TidalDb has it). */
export interface InstallingDb {
  readonly replication: Pick<ReplicationTarget, 'installCheckpoint$'>;
}

/**
 * Installs a checkpoint a leader sent because this follower was behind what
 * it retains: BLAKE3 over the bytes first, then `db.replication.installCheckpoint$`
 * (which verifies the checkpoint's own checksum, fencing and half-lives).
 * Emits one outcome; never errors.
 *
 *   shipment :  -c-------
 *   result   :  ---i|        (i: installed, once durable)
 *
 * @see idempotentReplay for segments
 */
export function installCheckpoint$(db: InstallingDb, shipment: CheckpointShipment): Observable<CheckpointOutcome> {
  const seq = shipment.seq;
  return defer(() => {
    if (!shipment.checksum.matches(shipment.bytes)) {
      throw new WalError('Corruption', `checkpoint at seqno ${seq}: BLAKE3 checksum mismatch over ${shipment.bytes.length} bytes`);
    }
    return db.replication.installCheckpoint$(shipment.bytes);
  }).pipe(
    map((installed): CheckpointOutcome => ({ kind: installed ? 'installed' : 'stale', seq })),
    catchError((error: Error) => of<CheckpointOutcome>({ kind: 'failed', seq, error })),
  );
}
