/**
 * Fuzzing `decodeSegment` (src/wal/decodeSegment.ts) with real segments
 * mutated structurally, every checksum recomputed (see segmentMutations.ts):
 *
 * (a) it refuses only with a typed error, in both modes;
 * (c) what it accepts is a segment a leader could have written: valid meta
 *     and event content, seqnos and counts that hold together.
 *
 * Truncation is covered at every offset, with and without the checksums
 * recomputed over what remains. The real segments are fuzzed as written
 * (batch format v3) and rewritten as v2, which readers must still take;
 * splices between them make segments that mix both.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { fuzzParameters, runs } from './fuzzParameters.js';
import { buildRealLog, type RealLog } from './realLog.js';
import { recomputeChecksums } from './recomputeChecksums.js';
import { copyRange } from './segmentParts.js';
import { mutateSegment, segmentMutation } from './segmentMutations.js';
import { outcomeOf } from './typedErrors.js';
import { invalidDecodedSegment } from './validContent.js';
import { segmentAsVersion2 } from '../wal/fixtures/encodeBatchV2.js';

/** Cases of the mutation property per CI run (about 0.2 ms each). */
const MUTATION_RUNS = 5000;

let log: RealLog;
let segments: Uint8Array[];
beforeAll(async () => {
  log = await buildRealLog();
  segments = [...log.segments.map((s) => s.bytes), ...log.segments.map((s) => segmentAsVersion2(s.bytes))];
});

/** Decodes in `mode`; a refusal must be typed, an acceptance valid. Returns whether it was accepted. */
function checkDecode(bytes: Uint8Array, mode: 'sealed' | 'active'): boolean {
  const out = outcomeOf(`decodeSegment(${mode})`, () => decodeSegment(bytes, 'fuzzed segment', mode));
  if (out.ok) expect(invalidDecodedSegment(out.value, mode === 'sealed'), `decodeSegment(${mode}) accepted`).toBeNull();
  return out.ok;
}

describe('decodeSegment fuzzing', () => {
  it(`refuses mutated segments with a typed error, or decodes only valid content (${runs(MUTATION_RUNS)} cases)`, () => {
    fc.assert(fc.property(fc.nat({ max: 5 }), segmentMutation, (target, m) => {
      const bytes = mutateSegment(segments, target, m);
      checkDecode(bytes, 'sealed');
      checkDecode(bytes, 'active');
    }), fuzzParameters(MUTATION_RUNS));
  });

  it('refuses a sealed segment truncated at any offset, checksums recomputed or not', () => {
    let cases = 0;
    for (const whole of segments) {
      for (let at = 0; at < whole.length; at++) {
        for (const recompute of [false, true]) {
          const cut = copyRange(whole, 0, at);
          const bytes = recompute ? recomputeChecksums(cut) : cut;
          expect(checkDecode(bytes, 'sealed'), `truncated at ${at} (recomputed: ${recompute})`).toBe(false);
          checkDecode(bytes, 'active');
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(4000);
  });

  it('decodes the real segments unchanged (the fixture is sound)', () => {
    for (const bytes of segments) expect(checkDecode(bytes, 'sealed')).toBe(true);
  });
});
