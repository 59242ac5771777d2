/** The WAL's configuration (see TidalDbOptions for the user-facing names). */
import type { HalfLives } from '../ledger/halfLives.js';
import type { MergePolicy } from './planMerge.js';

/** How a write becomes durable: in memory (at once), handed to the OS, or fdatasync'd. */
export type Durability = 'memory' | 'none' | 'fsync';

export interface WalConfig {
  readonly shardId: number;
  readonly regionId: string;
  readonly maxSegmentBytes: number;
  readonly durability: Durability;
  readonly shipCacheBytes: number;
  readonly clock: () => number;
  /** Read at each segment's creation: the half-lives recorded in its header. */
  readonly halfLives: () => HalfLives;
  /** Read at each segment's creation: the leadership epoch recorded in its header. */
  readonly epoch: () => number;
  /** Read at each segment's creation: the first seqno of that epoch, recorded in its header. */
  readonly epochStartSeq: () => number;
  /** Read at each segment's creation: where each epoch began, recorded in its header. */
  readonly epochHistory: () => ReadonlyArray<readonly [number, number]>;
  /**
   * How small sealed segments are merged (planMerge.ts). Default: the
   * default policy for a file store (it bounds the number of files), none
   * in memory (no files to bound); null turns merging off.
   */
  readonly merge?: MergePolicy | null;
}
