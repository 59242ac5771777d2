/**
 * Which sealed segments retention may drop, oldest first. Only segments a
 * checkpoint covers may go. One goes while the sealed bytes exceed
 * `maxRetainedBytes` (followers behind it bootstrap from the checkpoint), or
 * while no follower needs it (all acked past `neededAfterSeq`) and more than
 * `keepSegments` remain. The byte cap of the last pass also holds between
 * checkpoints: after each later seal or stored segment, covered segments go
 * while the sealed bytes exceed it. Segments no checkpoint covers yet are
 * never dropped: what one interval seals is on top.
 */
import type { SealedSegmentInfo } from './walSegmentPayload.js';

export interface RetentionOptions {
  readonly checkpointSeq: number;
  readonly keepSegments: number;
  readonly maxRetainedBytes: number;
  readonly neededAfterSeq: number;
  /** Default true. False once a checkpoint carries the next segment id (an installed one): no file need stay for numbering. */
  readonly keepNewestFile?: boolean;
}

/** Decides, for the oldest sealed segment and the bytes held, whether it goes. */
export type DropRule = (oldest: SealedSegmentInfo, heldBytes: number) => boolean;

export class RetentionRules {
  /** The byte cap the last pass applied, and the checkpoint it ran after; null: none (or no cap). */
  private byteCap: { readonly checkpointSeq: number; readonly maxRetainedBytes: number } | null = null;
  private newBytes = 0;

  /** Bytes sealed or stored since the last pass: what no checkpoint covers yet. */
  get bytesSinceRetention(): number {
    return this.newBytes;
  }

  /** Starts a pass after a checkpoint over `list` (oldest first); returns its drop rule. */
  begin(p: RetentionOptions, list: readonly SealedSegmentInfo[], count: () => number): DropRule {
    this.byteCap = Number.isFinite(p.maxRetainedBytes) ? { checkpointSeq: p.checkpointSeq, maxRetainedBytes: p.maxRetainedBytes } : null;
    this.newBytes = 0; // what the checkpoint does not cover (sealed while it was written) still counts
    for (let i = list.length - 1; i >= 0 && list[i]!.lastSeq > p.checkpointSeq; i--) this.newBytes += list[i]!.byteLength;
    return (oldest, held) => {
      if (oldest.lastSeq > p.checkpointSeq) return false;
      if (held > p.maxRetainedBytes) return true;
      return oldest.lastSeq <= p.neededAfterSeq && count() > p.keepSegments;
    };
  }

  /** After a seal or stored segment of `bytes`: the cap's drop rule when it must run now, else null. */
  afterNewSegment(bytes: number, totalBytes: number, oldest: SealedSegmentInfo | undefined): DropRule | null {
    this.newBytes += bytes;
    const cap = this.byteCap;
    if (!cap || totalBytes <= cap.maxRetainedBytes || !oldest || oldest.lastSeq > cap.checkpointSeq) return null;
    return (s, held) => s.lastSeq <= cap.checkpointSeq && held > cap.maxRetainedBytes;
  }
}
