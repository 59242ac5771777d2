/**
 * The signal ledger's decay semantics, checked against an independent
 * computation written here (not src/ledger/decay.ts):
 *
 *   score(item, type, t) = sum of weight * 2^(-(t - at) / halfLife(type))
 *
 * Tolerance: 1e-9 relative to the sum of the terms' magnitudes. With only
 * positive weights that is plain relative tolerance; with mixed signs it is
 * the bound floating-point summation can promise (cancellation can leave a
 * result much smaller than the rounding of its parts). An absolute 2^-1022
 * (the smallest normal double, ~2.2e-308) is allowed on top: a score whose
 * terms are subnormal has no relative precision to keep.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalLedger } from '../../src/ledger/signalLedger.js';

interface Sig {
  readonly itemId: string;
  readonly type: string;
  readonly weight: number;
  readonly at: number;
}

const BASE_MS = 1_700_000_000_000;
const SUBNORMAL_SLACK = 2 ** -1022;

/** Independent reference: term by term, with exp rather than pow. */
function reference(signals: readonly Sig[], itemId: string, type: string, t: number, halfLifeMs: number): { sum: number; magnitude: number } {
  let sum = 0;
  let magnitude = 0;
  for (const s of signals) {
    if (s.itemId !== itemId || s.type !== type) continue;
    const term = s.weight * Math.exp((-(t - s.at) * Math.LN2) / halfLifeMs);
    sum += term;
    magnitude += Math.abs(term);
  }
  return { sum, magnitude };
}

function expectClose(got: number, ref: { sum: number; magnitude: number }, context: string): void {
  const allowed = 1e-9 * ref.magnitude + SUBNORMAL_SLACK;
  if (!(Math.abs(got - ref.sum) <= allowed)) {
    throw new Error(`${context}: got ${got}, expected ${ref.sum} (terms' magnitude ${ref.magnitude}, allowed error ${allowed})`);
  }
}

const TYPES = ['view', 'like', 'share'] as const;
const halfLivesArb = fc.record({
  view: fc.integer({ min: 1_000, max: 86_400_000 }),
  like: fc.integer({ min: 1_000, max: 86_400_000 }),
  share: fc.integer({ min: 1_000, max: 86_400_000 }),
});
type HalfLifeTable = { readonly [K in (typeof TYPES)[number]]: number };

/** A number of half-lives in [min, max], uniform in steps of 1/1000 (fc.double clusters at its bounds). */
function halfLivesBetween(min: number, max: number): fc.Arbitrary<number> {
  return fc.integer({ min: min * 1000, max: max * 1000 }).map((k) => k / 1000);
}

/** Signals whose times lie within `spanHalfLives` of BASE_MS, in that type's half-lives; arrival order is the array order. */
function signalsArb(spanHalfLives: number, weight: fc.Arbitrary<number>) {
  return fc.array(
    fc.record({
      item: fc.integer({ min: 0, max: 4 }),
      type: fc.constantFrom(...TYPES),
      weight,
      atHalfLives: halfLivesBetween(0, spanHalfLives),
    }),
    { minLength: 1, maxLength: 40 },
  );
}

function materialise(raw: ReadonlyArray<{ item: number; type: (typeof TYPES)[number]; weight: number; atHalfLives: number }>, hl: HalfLifeTable): Sig[] {
  return raw.map((r) => ({ itemId: `i${r.item}`, type: r.type, weight: r.weight, at: BASE_MS + Math.round(r.atHalfLives * hl[r.type]) }));
}

function ledgerOf(signals: readonly Sig[], hl: HalfLifeTable): SignalLedger {
  const ledger = new SignalLedger((type) => hl[type as keyof HalfLifeTable]);
  for (const s of signals) ledger.add(s.itemId, s.type, s.weight, s.at);
  return ledger;
}

/** Weights in [-100, 100] in steps of 0.001 (no subnormal weights: they have no relative precision to keep). */
const anyWeight = fc.integer({ min: -100_000, max: 100_000 }).map((k) => k / 1000);
/** Nonzero weights of at least 0.1 in magnitude, either sign. */
const sizeableWeight = fc.tuple(fc.integer({ min: 100, max: 100_000 }), fc.boolean()).map(([k, neg]) => (neg ? -k : k) / 1000);

describe('decayed score is the sum of weight * 2^(-(t - at) / halfLife), per type', () => {
  it('matches the independent sum for random signals, arrival order and query times (seeded)', () => {
    fc.assert(
      fc.property(halfLivesArb, signalsArb(40, anyWeight), halfLivesBetween(-5, 60), (hl, raw, tHalfLives) => {
        const signals = materialise(raw, hl);
        const ledger = ledgerOf(signals, hl);
        for (const type of TYPES) {
          const t = BASE_MS + Math.round(tHalfLives * hl[type]);
          for (let i = 0; i < 5; i++) {
            const ref = reference(signals, `i${i}`, type, t, hl[type]);
            expectClose(ledger.score(`i${i}`, type, t), ref, `i${i}/${type} at ${t}`);
          }
        }
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it('one signal of weight w scores w at its own time, w/2 one half-life later, 2w one half-life earlier', () => {
    const ledger = new SignalLedger(() => 1_000);
    ledger.add('a', 'like', 3, BASE_MS);
    expect(ledger.score('a', 'like', BASE_MS)).toBe(3);
    expect(ledger.score('a', 'like', BASE_MS + 1_000)).toBeCloseTo(1.5, 12);
    expect(ledger.score('a', 'like', BASE_MS - 1_000)).toBeCloseTo(6, 12);
    expect(ledger.score('a', 'like', BASE_MS + 10_000)).toBeCloseTo(3 / 1024, 15);
  });

  it('each type decays with its own half-life and an unknown (item, type) scores 0', () => {
    const ledger = new SignalLedger((type) => (type === 'fast' ? 1_000 : 10_000));
    ledger.add('a', 'fast', 1, BASE_MS);
    ledger.add('a', 'slow', 1, BASE_MS);
    expect(ledger.score('a', 'fast', BASE_MS + 10_000)).toBeCloseTo(1 / 1024, 15);
    expect(ledger.score('a', 'slow', BASE_MS + 10_000)).toBeCloseTo(0.5, 15);
    expect(ledger.score('b', 'fast', BASE_MS)).toBe(0);
    expect(ledger.score('a', 'other', BASE_MS)).toBe(0);
  });
});

describe('the score does not depend on the order signals arrive in', () => {
  it('any permutation of the same signals gives the same scores (seeded)', () => {
    fc.assert(
      fc.property(
        halfLivesArb,
        signalsArb(40, anyWeight).chain((raw) => fc.tuple(fc.constant(raw), fc.shuffledSubarray(raw, { minLength: raw.length, maxLength: raw.length }))),
        halfLivesBetween(0, 50),
        (hl, [raw, shuffled], tHalfLives) => {
          const signals = materialise(raw, hl);
          const a = ledgerOf(signals, hl);
          const b = ledgerOf(materialise(shuffled, hl), hl);
          const sorted = ledgerOf([...signals].sort((x, y) => x.at - y.at), hl);
          for (const type of TYPES) {
            const t = BASE_MS + Math.round(tHalfLives * hl[type]);
            for (let i = 0; i < 5; i++) {
              const ref = reference(signals, `i${i}`, type, t, hl[type]);
              const tolerance = { sum: a.score(`i${i}`, type, t), magnitude: ref.magnitude };
              expectClose(b.score(`i${i}`, type, t), tolerance, `shuffled i${i}/${type}`);
              expectClose(sorted.score(`i${i}`, type, t), tolerance, `time-ordered i${i}/${type}`);
            }
          }
        },
      ),
      { seed: 77, numRuns: 300 },
    );
  });

  it('a late-arriving old signal counts exactly as if it had arrived first', () => {
    const inOrder = new SignalLedger(() => 60_000);
    inOrder.add('a', 'like', 5, BASE_MS);
    inOrder.add('a', 'like', 2, BASE_MS + 600_000);
    const reversed = new SignalLedger(() => 60_000);
    reversed.add('a', 'like', 2, BASE_MS + 600_000);
    reversed.add('a', 'like', 5, BASE_MS);
    const t = BASE_MS + 900_000;
    const expected = 5 * 2 ** -15 + 2 * 2 ** -5;
    expect(inOrder.score('a', 'like', t) / expected).toBeCloseTo(1, 12);
    expect(reversed.score('a', 'like', t) / expected).toBeCloseTo(1, 12);
  });
});

describe('far-apart timestamps: signals hundreds of half-lives apart keep exact scores (the ledger rebases)', () => {
  /** Checks every (item, type) at `newest of that type + offset(type)` half-lives. */
  function checkAround(hl: HalfLifeTable, raw: Parameters<typeof materialise>[0], offsetHalfLives: number): void {
    const signals = materialise(raw, hl);
    const ledger = ledgerOf(signals, hl);
    for (const type of TYPES) {
      const ofType = signals.filter((s) => s.type === type);
      if (ofType.length === 0) continue;
      const newest = Math.max(...ofType.map((s) => s.at));
      const t = newest + Math.round(offsetHalfLives * hl[type]);
      for (let i = 0; i < 5; i++) {
        const ref = reference(signals, `i${i}`, type, t, hl[type]);
        expectClose(ledger.score(`i${i}`, type, t), ref, `i${i}/${type} at newest + ${offsetHalfLives} half-lives`);
      }
    }
  }

  it('signals spread over 700 half-lives: exact from 700 before to 1000 after the newest (seeded)', () => {
    fc.assert(
      fc.property(halfLivesArb, signalsArb(700, sizeableWeight), halfLivesBetween(-700, 1000), checkAround),
      { seed: 700, numRuns: 300 },
    );
  });

  it('signals spread over 1500 half-lives: exact from the newest to 1000 after it (seeded)', () => {
    // Not asserted: queried before the newest signal. The ledger keeps one
    // reference time per type, so a signal over ~1022 half-lives older than
    // it keeps only a subnormal (imprecise, or zero) mass.
    fc.assert(
      fc.property(halfLivesArb, signalsArb(1500, sizeableWeight), halfLivesBetween(0, 1000), checkAround),
      { seed: 1500, numRuns: 300 },
    );
  });

  it('a signal 600 half-lives after the first (past the rebase point) leaves both exact', () => {
    const hl = 1_000;
    const ledger = new SignalLedger(() => hl);
    ledger.add('old', 'like', 1, BASE_MS);
    ledger.add('new', 'like', 1, BASE_MS + 600 * hl);
    expect(ledger.score('new', 'like', BASE_MS + 600 * hl)).toBe(1);
    expect(ledger.score('old', 'like', BASE_MS + 600 * hl) / 2 ** -600).toBeCloseTo(1, 12);
    expect(ledger.score('old', 'like', BASE_MS)).toBeCloseTo(1, 12);
    expect(ledger.score('new', 'like', BASE_MS) / 2 ** 600).toBeCloseTo(1, 12);
  });

  it('signals 2000 half-lives apart, in either order, score each other as 0 and themselves exactly', () => {
    const hl = 1_000;
    for (const order of [[0, 2000], [2000, 0]]) {
      const ledger = new SignalLedger(() => hl);
      for (const k of order) ledger.add(`i${k}`, 'like', 3, BASE_MS + k * hl);
      expect(ledger.score('i2000', 'like', BASE_MS + 2000 * hl)).toBeCloseTo(3, 12);
      expect(ledger.score('i0', 'like', BASE_MS + 2000 * hl)).toBe(0);
    }
  });

  it('a score 700 half-lives after the last signal is its tiny decayed value, not a premature 0', () => {
    // The ledger's reference time stays at the first signal until one lands
    // 512 half-lives after it, so an item's mass can be 2^500 and the
    // decay factor at the query 2^-1200: the factor alone underflows to 0,
    // the product (2^-700) does not.
    const hl = 60_000;
    const ledger = new SignalLedger(() => hl);
    ledger.add('a', 'like', 1, BASE_MS);
    ledger.add('b', 'like', 2, BASE_MS + 500 * hl);
    const t = BASE_MS + 1200 * hl;
    expect(ledger.score('b', 'like', t) / (2 * 2 ** -700)).toBeCloseTo(1, 12);
  });
});
