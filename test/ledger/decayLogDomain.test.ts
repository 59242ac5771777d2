/**
 * Time cannot break the ledger (issue 7): any order and any spread of legal
 * timestamps gives scores equal, within 1e-9 relative, to an independent
 * computation in the log domain:
 *
 *   log2 score(t) = log2 sum_i 2^(e_i),  e_i = log2(w_i) + (at_i - t) / halfLife
 *                 = M + log2 sum_i 2^(e_i - M),  M = max e_i
 *
 * which no spread can overflow. Where the true score is beyond the double
 * range the ledger saturates at Number.MAX_VALUE (too large) or 0 (too
 * small); near the subnormal range a double has no relative precision
 * left, so there the check is only that it is not larger.
 *
 * And ranking stays exact: best(limit, t) equals a sort of every item's
 * score at t, ties by id, whatever the spread, order and signs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalLedger } from '../../src/ledger/signalLedger.js';
import { MAX_ABS_AT_MS } from '../../src/limits.js';

const LOG2_TOLERANCE = 1e-9 / Math.LN2; // 1e-9 relative, in log2 units
/** Below 2^-1000 a double is close to its subnormal range: relative precision is not promised. */
const MIN_CHECKED_LOG2 = -1000;

interface Sig {
  readonly itemId: string;
  readonly weight: number;
  readonly at: number;
}

function referenceLog2(signals: readonly Sig[], itemId: string, t: number, halfLifeMs: number): number {
  const exponents = signals.filter((s) => s.itemId === itemId).map((s) => Math.log2(s.weight) + (s.at - t) / halfLifeMs);
  if (exponents.length === 0) return -Infinity;
  const m = Math.max(...exponents);
  return m + Math.log2(exponents.reduce((sum, e) => sum + Math.pow(2, e - m), 0));
}

function expectMatches(got: number, refLog2: number, context: string): void {
  if (refLog2 === -Infinity) return void expect(got, context).toBe(0);
  if (refLog2 >= 1024) return void expect(got, context).toBe(Number.MAX_VALUE);
  if (refLog2 < MIN_CHECKED_LOG2) return void expect(got <= Math.pow(2, refLog2 + 1e-6), `${context}: ${got} vs 2^${refLog2}`).toBe(true);
  expect(Math.abs(Math.log2(got) - refLog2), `${context}: got ${got}, expected 2^${refLog2}`).toBeLessThanOrEqual(LOG2_TOLERANCE);
}

const ITEMS = ['a', 'b', 'c', 'd'];
const HALF_LIFE_MS = 3_600_000;

/** Signals spread over up to ±`spread` half-lives around a base time anywhere in the legal range. */
function scenario(spread: number) {
  const legalBase = fc.integer({ min: -1000, max: 1000 }).map((k) => (k / 1000) * (MAX_ABS_AT_MS - spread * HALF_LIFE_MS));
  return fc.record({
    base: legalBase,
    signals: fc.array(fc.record({
      itemId: fc.constantFrom(...ITEMS),
      weight: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      offset: fc.integer({ min: -spread * 1000, max: spread * 1000 }).map((k) => (k / 1000) * HALF_LIFE_MS),
    }), { minLength: 1, maxLength: 40 }),
    queries: fc.array(fc.integer({ min: -spread * 1000, max: spread * 1000 }).map((k) => (k / 1000) * HALF_LIFE_MS), { minLength: 1, maxLength: 5 }),
    seed: fc.integer(),
  });
}

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('any order and any spread of legal timestamps gives scores within 1e-9 relative of the log-domain sum', () => {
  for (const spread of [10, 1_100, 5_000]) {
    it(`signals spread over ±${spread} half-lives, in two arrival orders, anywhere in the legal range (seeded)`, () => {
      fc.assert(fc.property(scenario(spread), (s) => {
        const signals: Sig[] = s.signals.map((r) => ({ itemId: r.itemId, weight: r.weight, at: s.base + r.offset }));
        const inOrder = new SignalLedger(() => HALF_LIFE_MS);
        const shuffled = new SignalLedger(() => HALF_LIFE_MS);
        for (const sig of signals) inOrder.add(sig.itemId, 'view', sig.weight, sig.at);
        for (const sig of shuffle(signals, s.seed)) shuffled.add(sig.itemId, 'view', sig.weight, sig.at);
        for (const offset of s.queries) {
          const t = s.base + offset;
          for (const id of ITEMS) {
            const ref = referenceLog2(signals, id, t, HALF_LIFE_MS);
            expectMatches(inOrder.score(id, 'view', t), ref, `${id} at ${t}`);
            expectMatches(shuffled.score(id, 'view', t), ref, `${id} at ${t}, shuffled`);
          }
        }
      }), { seed: 20_261_204, numRuns: 300 });
    });
  }

  it('issue 7 as reported: a signal 1100 half-lives after another does not zero the first one\'s score', () => {
    const ledger = new SignalLedger(() => HALF_LIFE_MS);
    const t0 = 1_700_000_000_000;
    ledger.add('a', 'view', 1, t0);
    ledger.add('b', 'view', 1, t0 + 1100 * HALF_LIFE_MS);
    expect(ledger.score('a', 'view', t0)).toBe(1);
    expect(ledger.score('b', 'view', t0)).toBe(Number.MAX_VALUE);
    expect(ledger.score('b', 'view', t0 + 1100 * HALF_LIFE_MS)).toBe(1);
  });
});

describe('ranking stays exact: best(limit, t) equals a sort of every item\'s score at t, ties by id', () => {
  it('any spread, order, signs and limit, with the top-k cache kept across writes and queries (seeded)', () => {
    const ids = Array.from({ length: 60 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.constantFrom(...ids), weight: fc.oneof(fc.constant(1), fc.constant(-1), fc.double({ min: -5, max: 5, noNaN: true })), halfLives: fc.integer({ min: -1200, max: 1200 }) }),
      fc.record({ kind: fc.constant('best' as const), limit: fc.integer({ min: 1, max: 40 }), halfLives: fc.integer({ min: -1500, max: 1500 }) }),
    );
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), (ops) => {
      const ledger = new SignalLedger(() => HALF_LIFE_MS);
      const base = 1_700_000_000_000;
      const seen = new Set<string>();
      for (const o of ops) {
        if (o.kind === 'add') {
          ledger.add(o.id, 'view', o.weight, base + o.halfLives * HALF_LIFE_MS);
          seen.add(o.id);
          continue;
        }
        const t = base + o.halfLives * HALF_LIFE_MS;
        const brute = [...seen].map((id) => ({ id, score: ledger.score(id, 'view', t) }))
          .sort((x, y) => (y.score - x.score) || (x.id < y.id ? -1 : 1))
          .slice(0, o.limit);
        expect(ledger.best('view', o.limit, t)).toEqual(brute);
      }
    }), { seed: 20_261_204, numRuns: 200 });
  });
});
