/**
 * isWellFormed (src/wellFormed.ts): the native String.prototype.isWellFormed
 * and the regular-expression fallback agree on every string, lone
 * surrogates at the start, middle and end included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormed, isWellFormedByPattern } from '../src/wellFormed.js';

const units = fc.array(fc.oneof(
  fc.integer({ min: 0, max: 0xffff }),
  fc.integer({ min: 0xd800, max: 0xdfff }),
), { maxLength: 12 }).map((codes) => String.fromCharCode(...codes));

describe('isWellFormed', () => {
  it('refuses lone surrogates and accepts pairs, natively and by pattern alike', () => {
    const cases: Array<[string, boolean]> = [
      ['', true], ['abc', true], ['😀', true], ['a\uD83D\uDE00b', true],
      ['\uD83D', false], ['\uDE00', false], ['a\uD83Db', false], ['\uDE00\uD83D', false], ['x\uD800', false],
    ];
    for (const [s, ok] of cases) {
      expect(isWellFormed(s)).toBe(ok);
      expect(isWellFormedByPattern(s)).toBe(ok);
    }
  });

  it('gives the same answer as the pattern for any string of UTF-16 code units', () => {
    fc.assert(fc.property(units, (s) => isWellFormed(s) === isWellFormedByPattern(s)), { numRuns: 5000 });
  });
});
