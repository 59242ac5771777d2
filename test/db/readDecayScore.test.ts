/**
 * db.readDecayScore(itemId, type, at) is the decayed sum of the signals
 * written through db.signal(), with each type's half-life from the
 * `halfLifeMs` option (one number for all, or a record whose '*' key is the
 * default), whatever order the signals' `at` arrive in. The reference sum is
 * computed here, term by term, not with src/ledger/decay.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';

const BASE_MS = 1_700_000_000_000;
/** The scenarios write signals up to 30 days after the clock they read at: past the default maxFutureMs (1 h) on purpose. */
const FAR_FUTURE_MS = 31 * 86_400_000;
const DAY_MS = 86_400_000;
const SUBNORMAL_SLACK = 2 ** -1022;

interface Sig {
  readonly itemId: string;
  readonly type: string;
  readonly weight: number;
  readonly at: number;
}

function reference(signals: readonly Sig[], itemId: string, type: string, t: number, halfLifeMs: number) {
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

/** Within 1e-9 of the terms' magnitude (plain relative tolerance when all weights are positive). */
function expectClose(got: number, ref: { sum: number; magnitude: number }, context: string): void {
  const allowed = 1e-9 * ref.magnitude + SUBNORMAL_SLACK;
  if (!(Math.abs(got - ref.sum) <= allowed)) throw new Error(`${context}: got ${got}, expected ${ref.sum} (allowed error ${allowed})`);
}

const TYPES = ['view', 'like', 'share', 'click'] as const;
const ITEMS = ['a', 'b', 'c', 'd'];

const HOUR_MS = 3_600_000;
/** Half-lives of 1 h .. 1 day over 20 days of signals: up to ~500 half-lives apart. */
const scenario = fc.record({
  view: fc.integer({ min: HOUR_MS, max: DAY_MS }),
  like: fc.integer({ min: HOUR_MS, max: DAY_MS }),
  fallback: fc.integer({ min: HOUR_MS, max: DAY_MS }),
  signals: fc.array(
    fc.record({
      item: fc.constantFrom(...ITEMS),
      type: fc.constantFrom(...TYPES),
      weight: fc.integer({ min: -50_000, max: 50_000 }).map((k) => k / 1000),
      // ms after BASE_MS, in any order: the db must not care
      offsetMs: fc.integer({ min: 0, max: 20 * DAY_MS }),
    }),
    { minLength: 1, maxLength: 60 },
  ),
  queryOffsetMs: fc.integer({ min: -DAY_MS, max: 30 * DAY_MS }),
});

describe('decayed score is the sum of weight * 2^(-(t - at) / halfLife(type)), per-type half-lives from the Record form', () => {
  it("readDecayScore matches the independent sum; types not in the record use the '*' half-life (seeded)", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const halfLifeOf = (type: string) => (type === 'view' ? s.view : type === 'like' ? s.like : s.fallback);
        const db = await TidalDb.open({ halfLifeMs: { view: s.view, like: s.like, '*': s.fallback }, clock: () => BASE_MS, maxFutureMs: FAR_FUTURE_MS });
        const signals: Sig[] = s.signals.map((r) => ({ itemId: r.item, type: r.type, weight: r.weight, at: BASE_MS + r.offsetMs }));
        for (const sig of signals) await db.signal(sig);
        const t = BASE_MS + s.queryOffsetMs;
        for (const type of TYPES) {
          for (const item of ITEMS) {
            expectClose(db.readDecayScore(item, type, t), reference(signals, item, type, t, halfLifeOf(type)), `${item}/${type}`);
          }
        }
        await db.close();
      }),
      { seed: 4242, numRuns: 150 },
    );
  });

  it('one number sets the half-life of every type', async () => {
    const db = await TidalDb.open({ halfLifeMs: 1_000, clock: () => BASE_MS });
    await db.signal({ itemId: 'a', type: 'like', weight: 8, at: BASE_MS });
    await db.signal({ itemId: 'a', type: 'anything', weight: 8, at: BASE_MS });
    expect(db.readDecayScore('a', 'like', BASE_MS + 3_000)).toBeCloseTo(1, 12);
    expect(db.readDecayScore('a', 'anything', BASE_MS + 3_000)).toBeCloseTo(1, 12);
    await db.close();
  });

  it("a record without '*' leaves unlisted types at the default of one day", async () => {
    const db = await TidalDb.open({ halfLifeMs: { like: 1_000 }, clock: () => BASE_MS });
    await db.signal({ itemId: 'a', type: 'like', weight: 4, at: BASE_MS });
    await db.signal({ itemId: 'a', type: 'view', weight: 4, at: BASE_MS });
    expect(db.readDecayScore('a', 'like', BASE_MS + 2_000)).toBeCloseTo(1, 12);
    expect(db.readDecayScore('a', 'view', BASE_MS + DAY_MS)).toBeCloseTo(2, 12);
    await db.close();
  });

  it('at defaults to the clock: a signal written now reads at full weight, and one half-life of clock later at half', async () => {
    let now = BASE_MS;
    const db = await TidalDb.open({ halfLifeMs: 60_000, clock: () => now });
    await db.signal({ itemId: 'a', type: 'like', weight: 3 });
    expect(db.readDecayScore('a', 'like')).toBe(3);
    now += 60_000;
    expect(db.readDecayScore('a', 'like')).toBeCloseTo(1.5, 12);
    await db.close();
  });

  it('weight defaults to 1', async () => {
    const db = await TidalDb.open({ clock: () => BASE_MS });
    await db.signal({ itemId: 'a', type: 'like' });
    expect(db.readDecayScore('a', 'like', BASE_MS)).toBe(1);
    await db.close();
  });
});

describe('the score does not depend on the order signals arrive in (out-of-order at)', () => {
  it('two databases fed the same signals in different orders read the same scores (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.signals, { minLength: s.signals.length, maxLength: s.signals.length }))),
        async ([s, shuffled]) => {
          const options = { halfLifeMs: { view: s.view, like: s.like, '*': s.fallback }, clock: () => BASE_MS, maxFutureMs: FAR_FUTURE_MS };
          const a = await TidalDb.open(options);
          const b = await TidalDb.open(options);
          for (const r of s.signals) await a.signal({ itemId: r.item, type: r.type, weight: r.weight, at: BASE_MS + r.offsetMs });
          for (const r of shuffled) await b.signal({ itemId: r.item, type: r.type, weight: r.weight, at: BASE_MS + r.offsetMs });
          const signals: Sig[] = s.signals.map((r) => ({ itemId: r.item, type: r.type, weight: r.weight, at: BASE_MS + r.offsetMs }));
          const t = BASE_MS + s.queryOffsetMs;
          for (const type of TYPES) {
            const hl = type === 'view' ? s.view : type === 'like' ? s.like : s.fallback;
            for (const item of ITEMS) {
              const magnitude = reference(signals, item, type, t, hl).magnitude;
              expectClose(b.readDecayScore(item, type, t), { sum: a.readDecayScore(item, type, t), magnitude }, `${item}/${type}`);
            }
          }
          await a.close();
          await b.close();
        },
      ),
      { seed: 99, numRuns: 100 },
    );
  });
});
