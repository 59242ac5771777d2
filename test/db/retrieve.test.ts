/**
 * retrieve({ signal, limit, at }) ranks the items that have signals of that
 * type by their decayed score at `at`, best first, ties by id ascending.
 * The ledger answers from an incrementally kept top-k cache; here it is
 * checked against a brute-force sort of readDecayScore over every item.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Scored, TidalDb } from '../../src/index.js';

const BASE_MS = 1_700_000_000_000;
const HALF_LIFE_MS = 1_000;
const clock = () => BASE_MS;

/** Every item with a signal of `type`, by readDecayScore at `at` desc, then id asc. */
function bruteForce(db: TidalDb, ids: Iterable<string>, type: string, limit: number, at: number): Scored[] {
  const all = [...ids].map((id) => ({ id, score: db.readDecayScore(id, type, at) }));
  all.sort((x, y) => (x.score !== y.score ? y.score - x.score : x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return all.slice(0, limit);
}

describe('retrieve orders by decayed score at `at`, ties by id ascending', () => {
  it('ranks by decayed score, not by raw weight: a recent small signal beats an old large one', async () => {
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    await db.signal({ itemId: 'old', type: 'like', weight: 10, at: BASE_MS });
    await db.signal({ itemId: 'new', type: 'like', weight: 6, at: BASE_MS + HALF_LIFE_MS });
    const at = BASE_MS + 2 * HALF_LIFE_MS;
    expect(db.retrieve({ signal: 'like', at })).toEqual([
      { id: 'new', score: db.readDecayScore('new', 'like', at) },
      { id: 'old', score: db.readDecayScore('old', 'like', at) },
    ]);
    expect(db.retrieve({ signal: 'like', at })[0]!.score).toBeCloseTo(3, 12);
    await db.close();
  });

  it('equal scores rank by id ascending, whatever order the items were written in', async () => {
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    for (const id of ['m', 'c', 'x', 'a']) await db.signal({ itemId: id, type: 'like', weight: 2, at: BASE_MS });
    await db.signal({ itemId: 'top', type: 'like', weight: 3, at: BASE_MS });
    expect(db.retrieve({ signal: 'like', at: BASE_MS }).map((r) => r.id)).toEqual(['top', 'a', 'c', 'm', 'x']);
    await db.close();
  });

  it('limit defaults to 10 and cuts the ranking; only items with that signal type are listed', async () => {
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    for (let i = 0; i < 15; i++) await db.signal({ itemId: `i${String(i).padStart(2, '0')}`, type: 'like', weight: i, at: BASE_MS });
    await db.signal({ itemId: 'viewed', type: 'view', weight: 100, at: BASE_MS });
    await db.writeItem({ id: 'no-signals', text: 'x' });
    const ranked = db.retrieve({ signal: 'like', at: BASE_MS });
    expect(ranked.map((r) => r.id)).toEqual(['i14', 'i13', 'i12', 'i11', 'i10', 'i09', 'i08', 'i07', 'i06', 'i05']);
    expect(db.retrieve({ signal: 'like', limit: 3, at: BASE_MS }).map((r) => r.id)).toEqual(['i14', 'i13', 'i12']);
    expect(db.retrieve({ signal: 'none', at: BASE_MS })).toEqual([]);
    await db.close();
  });

  it('an item whose first signal is negative is listed (below zero) even after the ranking was cached', async () => {
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    await db.signal({ itemId: 'a', type: 'like', weight: 1, at: BASE_MS });
    expect(db.retrieve({ signal: 'like', at: BASE_MS })).toEqual([{ id: 'a', score: 1 }]);
    await db.signal({ itemId: 'n', type: 'like', weight: -1, at: BASE_MS });
    expect(db.retrieve({ signal: 'like', at: BASE_MS })).toEqual([{ id: 'a', score: 1 }, { id: 'n', score: -1 }]);
    await db.close();
  });

  it('long after the last signal, items still rank by their (tiny) decayed scores, not by id', async () => {
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    await db.signal({ itemId: 'a', type: 'like', weight: 1, at: BASE_MS });
    await db.signal({ itemId: 'c', type: 'like', weight: 3, at: BASE_MS + 500 * HALF_LIFE_MS });
    await db.signal({ itemId: 'b', type: 'like', weight: 2, at: BASE_MS + 500 * HALF_LIFE_MS });
    const at = BASE_MS + 1200 * HALF_LIFE_MS;
    const ranked = db.retrieve({ signal: 'like', at });
    expect(ranked.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(ranked[0]!.score / (3 * 2 ** -700)).toBeCloseTo(1, 12);
    await db.close();
  });

  it('scores that tie past the cached top-k rank by id over every item, not just the cached ones', async () => {
    // 40 items of masses 1..40: the cache (32 entries) holds i08..i39. Long
    // after, every score underflows to 0: all tie, so i00.. come first.
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    for (let i = 0; i < 40; i++) await db.signal({ itemId: `i${String(i).padStart(2, '0')}`, type: 'like', weight: i + 1, at: BASE_MS });
    expect(db.retrieve({ signal: 'like', at: BASE_MS })[0]!.id).toBe('i39');
    const at = BASE_MS + 2000 * HALF_LIFE_MS;
    expect(db.retrieve({ signal: 'like', at }).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `i0${i}`));
    await db.close();
  });

  it('an uncached item whose slightly smaller score rounds to the cut score still ranks by id', async () => {
    // 41 items of weight 3 fill the cache; 'a' has the next double below 3.
    // At some times the two decay to one double: then 'a' ties and ranks first.
    const below3 = 3 - 2 ** -51;
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    for (let i = 0; i <= 40; i++) await db.signal({ itemId: `b${String(i).padStart(2, '0')}`, type: 'like', weight: 3, at: BASE_MS });
    await db.signal({ itemId: 'a', type: 'like', weight: below3, at: BASE_MS });
    expect(db.retrieve({ signal: 'like', at: BASE_MS }).map((r) => r.id)).not.toContain('a');
    let at = BASE_MS + 1;
    while (db.readDecayScore('a', 'like', at) !== db.readDecayScore('b00', 'like', at)) at++;
    expect(at).toBeLessThan(BASE_MS + HALF_LIFE_MS);
    expect(db.retrieve({ signal: 'like', at }).map((r) => r.id)).toEqual(['a', 'b00', 'b01', 'b02', 'b03', 'b04', 'b05', 'b06', 'b07', 'b08']);
    await db.close();
  });
});

describe('the incremental top-k cache equals a brute-force ranking after any sequence of writes', () => {
  type Op =
    | { kind: 'signal'; item: number; type: 'like' | 'view'; weight: number; atHalfLives: number }
    | { kind: 'retrieve'; type: 'like' | 'view'; limit: number; atHalfLives: number };

  /** Few distinct weights and times, so equal scores (ties) are common. */
  const signalOp = fc.record({
    kind: fc.constant('signal' as const),
    item: fc.integer({ min: 0, max: 59 }),
    type: fc.constantFrom('like' as const, 'view' as const),
    weight: fc.constantFrom(1, 2, 3, 0.5, -1, -2.5, 0, 7),
    atHalfLives: fc.oneof(fc.constantFrom(0, 1, 2, 10), fc.integer({ min: 0, max: 600 })),
  });
  const retrieveOp = fc.record({
    kind: fc.constant('retrieve' as const),
    type: fc.constantFrom('like' as const, 'view' as const),
    // the cache keeps at least 32; limits above it (and above the item count) rebuild it
    limit: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 30, max: 40 }), fc.integer({ min: 50, max: 100 })),
    // from before the signals to far past them (where scores underflow and tie)
    atHalfLives: fc.oneof(fc.integer({ min: -5, max: 620 }), fc.integer({ min: 1000, max: 1800 })),
  });
  const ops = fc.array(fc.oneof({ arbitrary: signalOp, weight: 4 }, { arbitrary: retrieveOp, weight: 1 }), { minLength: 1, maxLength: 250 });

  it('after every write sequence, db.retrieve equals a sort of readDecayScore over all items (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (sequence: Op[]) => {
        const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
        const seen = { like: new Set<string>(), view: new Set<string>() };
        const check = (type: 'like' | 'view', limit: number, at: number) => {
          expect(db.retrieve({ signal: type, limit, at })).toEqual(bruteForce(db, seen[type], type, limit, at));
        };
        for (const op of sequence) {
          if (op.kind === 'signal') {
            const itemId = `item-${String(op.item).padStart(2, '0')}`;
            await db.signal({ itemId, type: op.type, weight: op.weight, at: BASE_MS + op.atHalfLives * HALF_LIFE_MS });
            seen[op.type].add(itemId);
          } else {
            check(op.type, op.limit, BASE_MS + op.atHalfLives * HALF_LIFE_MS);
          }
        }
        for (const type of ['like', 'view'] as const) for (const limit of [1, 10, 33, 100]) check(type, limit, BASE_MS + 650 * HALF_LIFE_MS);
        await db.close();
      }),
      { seed: 314159, numRuns: 200 },
    );
  });
});
