/**
 * Fuzzing checkpoints: the pure `decodeCheckpoint` (src/db/checkpoint.ts)
 * and the follower's public `TidalDb#installCheckpoint`, with a real
 * checkpoint from a leader and a version 2 one written from the spec,
 * mutated structurally with the checksum recomputed (checkpointMutations.ts),
 * and truncated at every offset. Properties: see checkpointInstallCheck.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/db/checkpoint.js';
import { checkCheckpointInstall } from './checkpointInstallCheck.js';
import { checkpointMutation, mutateCheckpoint } from './checkpointMutations.js';
import { recomputeCheckpointChecksum } from './checkpointParts.js';
import { checkpointVersion2 } from './checkpointVersion2.js';
import { FollowerPool } from './followerPool.js';
import { fuzzParameters, runs } from './fuzzParameters.js';
import { buildRealLog, type RealLog } from './realLog.js';
import { copyRange } from './segmentParts.js';
import { asyncOutcomeOf, outcomeOf } from './typedErrors.js';

const DECODE_RUNS = 6000;
const INSTALL_RUNS = 2500;

let log: RealLog;
/** The leader's checkpoint (the current version) and a version 2 one. */
let seeds: Uint8Array[];
let pool: FollowerPool;
beforeAll(async () => {
  log = await buildRealLog();
  seeds = [log.checkpoint.bytes, checkpointVersion2(log.checkpoint.seq)];
  pool = new FollowerPool(log.segments);
});
afterAll(async () => {
  await pool.closeAll();
});

describe('checkpoint fuzzing', () => {
  it(`decodeCheckpoint refuses mutated checkpoints only with a typed error (${runs(DECODE_RUNS)} cases)`, () => {
    fc.assert(fc.property(fc.nat({ max: 1 }), checkpointMutation, (seed, m) => {
      const bytes = mutateCheckpoint(seeds[seed]!, m);
      outcomeOf('decodeCheckpoint', () => decodeCheckpoint(bytes, 0, 'fuzzed checkpoint'));
    }), fuzzParameters(DECODE_RUNS));
  });

  it(`installCheckpoint refuses with nothing changed, or installs a valid, reproducible state (${runs(INSTALL_RUNS)} cases)`, async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: 1 }), fc.nat({ max: 1 }), checkpointMutation, async (seed, at, m) => {
      await checkCheckpointInstall(pool, log, at, mutateCheckpoint(seeds[seed]!, m));
    }), fuzzParameters(INSTALL_RUNS));
  });

  it('refuses a checkpoint truncated at any offset, checksum recomputed or not, with nothing changed', async () => {
    let cases = 0;
    for (const whole of seeds) {
      for (let at = 0; at < whole.length; at++) {
        for (const recompute of [false, true]) {
          const cut = copyRange(whole, 0, at);
          const verdict = await checkCheckpointInstall(pool, log, 0, recompute ? recomputeCheckpointChecksum(cut) : cut);
          expect(verdict, `truncated at ${at} (recomputed: ${recompute})`).toBe('refused');
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(1000);
  });

  it('refuses what is not a byte array with a typed error', async () => {
    const notBytes: unknown[] = [null, undefined, 'TDCK', 42, {}, [0x54, 0x44, 0x43, 0x4b], new ArrayBuffer(64), new DataView(new ArrayBuffer(64))];
    const follower = await pool.at(0);
    for (const input of notBytes) {
      const out = await asyncOutcomeOf(`installCheckpoint(${String(input)})`, () => follower.db.installCheckpoint(input as Uint8Array));
      expect(out.ok, `installCheckpoint accepted ${String(input)}`).toBe(false);
      outcomeOf(`decodeCheckpoint(${String(input)})`, () => decodeCheckpoint(input as Uint8Array, 0, 'not bytes'));
    }
  });

  it('installs the real checkpoints unchanged (the fixtures and harness are sound)', async () => {
    for (const bytes of seeds) {
      for (const at of [0, 1]) expect(await checkCheckpointInstall(pool, log, at, Uint8Array.from(bytes))).toBe('installed');
    }
  });
});
