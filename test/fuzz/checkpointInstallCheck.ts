/**
 * The follower-side properties of one (possibly forged) checkpoint,
 * installed with the public `TidalDb#installCheckpoint`:
 *
 * (a) a refusal is a typed error;
 * (b) a refusal, or a "not newer" (false), changes nothing a reader observes;
 * (c) an install leaves a valid state at exactly the header's seqno, the
 *     same state a fresh follower reaches from the same bytes, and the same
 *     again after a reopen from the store, even once the caller has
 *     scribbled over its buffer.
 *
 * Format-agnostic on purpose: the probes are every string in the body,
 * whatever its version, and validity is judged from what readers see.
 */
import { expect } from 'vitest';
import { Packr } from 'msgpackr';
import type { FollowerPool, PooledFollower } from './followerPool.js';
import { invalidObservation, observe, type Probes, withProbesFrom } from './followerObservation.js';
import { CHECKPOINT_HEADER_BYTES, checkpointSeqOf } from './checkpointParts.js';
import { asyncOutcomeOf } from './typedErrors.js';

export type InstallVerdict = 'refused' | 'not newer' | 'installed';

const packr = new Packr({ useRecords: false });

/** Installs `bytes` on a follower holding the real log's first `at` segments and checks the properties above. */
export async function checkCheckpointInstall(pool: FollowerPool, probes: Probes, at: number, bytes: Uint8Array): Promise<InstallVerdict> {
  return pool.check(at, (follower) => checkOn(pool, follower, probes, at, bytes));
}

async function checkOn(pool: FollowerPool, follower: PooledFollower, probes: Probes, at: number, bytes: Uint8Array): Promise<InstallVerdict> {
  const probe = withProbesFrom(probes, bodyValues(bytes));
  const before = observe(follower.db, probe);
  const outcome = await asyncOutcomeOf('installCheckpoint', () => follower.db.installCheckpoint(bytes));
  if (!outcome.ok || outcome.value === false) {
    const why = outcome.ok ? 'returned false' : `refused with ${outcome.error.message}`;
    expect(observe(follower.db, probe), `${why}, but the state changed`).toEqual(before);
    return outcome.ok ? 'not newer' : 'refused';
  }
  pool.discard(at);
  const installed = Uint8Array.from(bytes);
  const after = observe(follower.db, probe);
  expect(BigInt(after.lastSeq), 'lastSeq after install is not the checkpoint\'s seqno').toBe(checkpointSeqOf(installed));
  expect(Number.isSafeInteger(after.epoch) && after.epoch >= 0, `epoch ${after.epoch}`).toBe(true);
  expect(invalidObservation(after), 'installed checkpoint left an invalid state').toBeNull();

  const fresh = await pool.fresh(at);
  const again = await asyncOutcomeOf('installCheckpoint (fresh follower)', () => fresh.db.installCheckpoint(Uint8Array.from(installed)));
  expect(again.ok && again.value, 'a fresh follower refused what this one installed').toBe(true);
  expect(observe(fresh.db, probe)).toEqual(after);
  await pool.close(fresh.db);

  bytes.fill(0xaa); // the caller's buffer is the caller's
  const reopened = await pool.open(follower.store);
  expect(observe(reopened, probe), 'a reopen from the store reached another state').toEqual(after);
  await pool.close(reopened);
  await pool.close(follower.db);
  return 'installed';
}

/** The body's decoded value, when it decodes, to probe with its strings. */
function bodyValues(bytes: Uint8Array): unknown[] {
  try {
    return [packr.unpack(bytes.subarray(CHECKPOINT_HEADER_BYTES))];
  } catch {
    return []; // not decodable: nothing to probe
  }
}
