/**
 * Defects the simulation found in src/ (owned by other engineers) that are
 * not fixed yet, each with the workaround the simulation applies until it
 * is, so the sweep keeps exploring past it. `npm run sim -- --expose NAME`
 * turns a workaround off; test/sim/knownDefects.test.ts keeps a minimal
 * repro of each as a skipped test (KNOWN), and a seed that shows it with
 * the workaround off.
 *
 * Fixed, their repros now plain tests there: footer-eio (9affb02),
 * promote-race, promote-checkpoint-race, epoch-splice and
 * unsynced-after-restart (9d8e534).
 */

export interface Workarounds {
  /**
   * unsealed-writeback: a power loss during a seal loses the footer (its
   * fsync had not completed) while the kernel had already written back a
   * batch of the next segment, which the WAL opened at once. Nothing in the
   * next segment was acknowledged (its fsync waits for the seal's), but
   * recovery drops trailing segments after an unsealed one only when they
   * hold no intact batch, so open refuses the log (Corruption: "sealed
   * segment has no footer"), and every acknowledged write is out of reach.
   * Workaround: a power loss writes dirty pages back in the order they
   * were written (a file that lost unsynced bytes takes every later file's
   * with it).
   */
  readonly orderedWriteback: boolean;
  /**
   * epoch-skip-splice: since 9d8e534 a segment records where its own epoch
   * began, and a follower holding older-epoch events at or past that point
   * refuses it (Diverged). A follower that missed an epoch in between still
   * splices: it holds epoch 0 events past where epoch 1 forked, and epoch 2
   * (forked from epoch 1 later) begins after its mark, so it takes epoch 2's
   * next segment and serves a history no leader wrote (G1). Workaround: the
   * operator rebuilds a follower as soon as its mark passes the point where
   * the newest epoch's lineage left its own epoch (a runbook-level check).
   */
  readonly rebuildOffLineage: boolean;
}

export type KnownDefect = 'unsealed-writeback' | 'epoch-skip-splice';

export const WORKAROUND_OF: Readonly<Record<KnownDefect, keyof Workarounds>> = {
  'unsealed-writeback': 'orderedWriteback',
  'epoch-skip-splice': 'rebuildOffLineage',
};

export const ALL_WORKAROUNDS: Workarounds = { orderedWriteback: true, rebuildOffLineage: true };

/** The workarounds with the ones for `exposed` defects turned off. */
export function workaroundsExposing(exposed: readonly KnownDefect[]): Workarounds {
  const w: Record<keyof Workarounds, boolean> = { ...ALL_WORKAROUNDS };
  for (const defect of exposed) w[WORKAROUND_OF[defect]] = false;
  return w;
}

export function isKnownDefect(name: string): name is KnownDefect {
  return Object.hasOwn(WORKAROUND_OF, name);
}
