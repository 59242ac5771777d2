/**
 * Defects the simulation found in src/ (owned by other engineers, being
 * rewritten), each with the workaround the simulation applies until it is
 * fixed, so the sweep keeps exploring past it. `npm run sim -- --expose NAME`
 * turns a workaround off; test/sim/knownDefects.test.ts keeps a minimal
 * repro of each as a skipped test (KNOWN), and regressionSeeds.ts a seed
 * that shows it with the workaround off.
 */

export interface Workarounds {
  /**
   * promote-race: `receiver.stop(); await db.promote()` (the runbook's
   * steps) while the receiver's last segment is still being stored: the
   * store completes after the promotion, so the file takes the segment id
   * the new leader's first segment needs (EEXIST: the new leader fails on
   * its first write), and after a restart the new leader holds old-epoch
   * events past the seqno it was promoted at. Since 9e70032 the id is
   * reserved, so the write succeeds, but the old leader's segment is still
   * in the new leader's log below its first segment: a reopen replays the
   * old leader's events over the new leader's acknowledged ones (G4, G1).
   * Workaround: the operator promotes only a follower whose receiver is idle.
   */
  readonly promoteIdleReceiver: boolean;
  /**
   * promote-checkpoint-race: `promote()` while a checkpoint of the follower
   * is being written (the SegmentReceiver's periodic checkpoint, which
   * `receiver.stop()` does not wait for): both are checkpoints at the same
   * seqno, and the older one, taken in the old epoch, can land last and
   * replace the promotion's. A promoted leader that restarts before its
   * first new segment is durable then comes back in the old epoch: a second
   * leader of it, whose writes fork the old leader's history (and the
   * writes it acknowledged in the new epoch are not in its log: G4).
   * Workaround: the operator promotes only a follower with no checkpoint
   * write in flight; exposed, the simulation starts a checkpoint right
   * before half of its promotions.
   */
  readonly promoteQuiescentDisk: boolean;
  /**
   * epoch-splice: a follower that applied the old leader's events past the
   * promotion point accepts the new epoch's segments when the first one it
   * is sent starts right after its mark (the new leader ships from the
   * follower's acked mark, so it usually does): its state is then the old
   * leader's events followed by the new leader's, which is no node's
   * history. Ahead of the new leader, it is never sent anything and never
   * learns it diverged. `checkEpoch` only refuses a new-epoch segment that
   * overlaps the mark; segments do not record where their epoch began.
   * Workaround: the operator rebuilds a follower as soon as its mark passes
   * the promotion point in an older epoch (a runbook-level check).
   */
  readonly rebuildPastFork: boolean;
  /**
   * unsynced-after-restart: after a process crash the page cache still
   * holds a segment's unsynced tail (a footer, batches); the restarted
   * process reads it, trusts it and builds on it without an fsync. A power
   * loss before the kernel writes it back then leaves a non-last segment
   * torn or without its footer, and open refuses the log (Corruption).
   * Workaround: a process crash is followed by the kernel's writeback.
   */
  readonly writebackAfterProcessCrash: boolean;
}

export type KnownDefect = 'promote-race' | 'promote-checkpoint-race' | 'epoch-splice' | 'unsynced-after-restart';

export const WORKAROUND_OF: Readonly<Record<KnownDefect, keyof Workarounds>> = {
  'promote-race': 'promoteIdleReceiver',
  'promote-checkpoint-race': 'promoteQuiescentDisk',
  'epoch-splice': 'rebuildPastFork',
  'unsynced-after-restart': 'writebackAfterProcessCrash',
};

export const ALL_WORKAROUNDS: Workarounds = {
  promoteIdleReceiver: true, promoteQuiescentDisk: true, rebuildPastFork: true, writebackAfterProcessCrash: true,
};

/** The workarounds with the ones for `exposed` defects turned off. */
export function workaroundsExposing(exposed: readonly KnownDefect[]): Workarounds {
  const w: Record<keyof Workarounds, boolean> = { ...ALL_WORKAROUNDS };
  for (const defect of exposed) w[WORKAROUND_OF[defect]] = false;
  return w;
}

export function isKnownDefect(name: string): name is KnownDefect {
  return Object.hasOwn(WORKAROUND_OF, name);
}
