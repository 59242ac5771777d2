/**
 * Seeds that once failed, run on every `npm test` (simulation.test.ts), each
 * with what it caught. A seed that shows a known src/ defect only with that
 * defect's workaround off is in knownDefects.test.ts instead, skipped until
 * the fix lands.
 */
export interface RegressionSeed {
  readonly seed: number;
  /** Steps, when the failure was found with --steps. */
  readonly steps?: number;
  /** What failed, and where it was fixed (or which simulation bug it was). */
  readonly why: string;
}

/**
 * The seeds that failed while the simulation was built. Most failures were
 * the simulation's own (a model too strict or too loose); the rest were src/
 * defects, fixed or kept as KNOWN with a workaround (knownDefects.ts). The
 * generator of run configurations has changed since, so a seed here may no
 * longer drive the same scenario; each still runs, so none fails unseen.
 */
export const REGRESSION_SEEDS: readonly RegressionSeed[] = [
  { seed: 20, why: 'liveness: a follower past the promotion point in the old epoch is ahead of the new leader and never learns it diverged (epoch-splice)' },
  { seed: 28, why: 'G1: a follower spliced the old leader\'s events and the new leader\'s (epoch-splice, KNOWN; the workaround rebuilds it)' },
  { seed: 35, why: 'G1: a rebuilt follower, still in the deposed leader\'s follower set, installed its checkpoint past the promotion point (the runbook points a rebuilt node at the new leader)' },
  { seed: 41, why: 'engine: reads of a leader whose log failed refuse with Failed since c53d6ba (the checks skip a failed node until the operator restarts it)' },
  { seed: 54, why: 'open: an EIO on a seal\'s footer append left the log running behind an unsealed segment (footer-eio, fixed in 9affb02)' },
  { seed: 74, why: 'liveness: a follower at the promotion point is still in the old epoch until the new leader writes (convergence compares histories, not epochs)' },
  { seed: 81, why: 'liveness: the leader\'s pipeline died with the footer EIO (footer-eio, fixed in 9affb02)' },
  { seed: 93, why: 'open: a footer read from the page cache after a process crash was never made durable (unsynced-after-restart, KNOWN; the workaround writes back)' },
  { seed: 95, why: 'G1: the promoted follower was still storing a segment (promote-race, KNOWN; the workaround promotes an idle receiver)' },
  { seed: 103, why: 'G1: a crash in promote() after its checkpoint was durable brought the node back in an epoch with no log (the epoch exists from the promotion\'s start)' },
  { seed: 142, why: 'G1: as seed 103' },
  { seed: 194, why: 'G1: a rebuilt follower diverged again through the deposed leader (the past-fork check runs on every apply and checkpoint install)' },
  { seed: 9, why: 'G1: epoch-splice (fixed in 9d8e534: segments record where their epoch began)' },
  { seed: 11, why: 'G4: promote-checkpoint-race, a periodic checkpoint in flight took the promotion back (fixed in 9d8e534: checkpoints run one at a time)' },
  { seed: 218, why: 'G4: two promotions in flight at once took the same new epoch (the operator promotes one node at a time; the epoch\'s log exists once promote() resolves, at its mark)' },
  { seed: 269, why: 'G1: promote-race, a segment stored after the promotion sat below the new leader\'s first (fixed in 9d8e534: promote() waits for applies in flight)' },
  { seed: 307, why: 'open: unsealed-writeback, a footer lost mid-seal while the next segment\'s batch was written back (fixed in bbcfec8)' },
  { seed: 213, why: 'open: a torn creation of the next segment after a footer lost mid-seal (unsealed-empty-next, fixed in d50b956)' },
  { seed: 731, why: 'G1: epoch-skip-splice, a follower that missed an epoch spliced a later one (fixed in 6c6b0be: headers carry the epoch history)' },
  { seed: 1525, why: 'open: unsealed-empty-next, a regression of bbcfec8 (fixed in d50b956)' },
  { seed: 6940, why: 'liveness: stale-segment-id, a follower that installed the new leader\'s checkpoint refused its next segment for good (fixed: the install drops every covered segment)' },
  { seed: 7212, why: 'liveness: stale-segment-id, as seed 6940' },
  { seed: 9984, why: 'liveness: stale-segment-id, as seed 6940' },
  { seed: 10624, why: 'open: unsealed-writeback (fixed in bbcfec8)' },
  { seed: 17812, why: 'liveness: an EIO while an installed checkpoint dropped the segments it covers left an old-numbered segment listed, so the new leader\'s lower id was refused forever (fixed: the next store finishes the drop first)' },
  { seed: 2586, why: 'liveness: a follower ahead of a new leader (promoted from an almost empty node) in an older epoch was never shipped anything and never learned it diverged (fixed: the leader ships it the first segment of its epoch, divergenceProbeFrom)' },
  { seed: 3409, why: 'liveness: as seed 2586' },
  { seed: 2599, why: 'open: unsynced-after-restart, a footer read from the page cache after a process crash (fixed in 9d8e534: open syncs every file first; SimDisk.syncAll)' },
  { seed: 20026, why: 'engine: a follower failed closed after a double fault installing a checkpoint (write and undo both failed), and the checks read it and threw; the operator and the checks only knew a failed log (wal.failed). Now both read db.failure, and the operator restarts the node' },
];
