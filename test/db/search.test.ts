/**
 * db.search({ text, limit, signal, at }): items whose text holds every query
 * token, ranked by BM25 relevance (src/items/textIndex.ts), blended with the
 * decayed score of `signal` when given as
 *   relevance * (1 + ln(1 + max(0, score)))   (src/db/queries.ts),
 * ties by id ascending. The same writes give the same answer on any database.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Scored, TidalDb } from '../../src/index.js';
import { tempDir } from './tempDirs.js';

const BASE_MS = 1_700_000_000_000;
const HALF_LIFE_MS = 60_000;
const clock = () => BASE_MS;

function byScoreThenId(a: Scored, b: Scored): number {
  return a.score !== b.score ? b.score - a.score : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

describe('search matches items whose text contains every query token (case-insensitive letters and digits)', () => {
  it("finds 'Café' and 'ÉCOLE' whatever their case or accent encoding, and digits", async () => {
    const db = await TidalDb.open({ clock });
    await db.writeItem({ id: 'a', text: 'Le Café de l’ÉCOLE, ouvert en 2024' });
    await db.writeItem({ id: 'b', text: 'cafe\u0301 et école' });
    await db.writeItem({ id: 'c', text: 'cafe ecole 2024' });
    const ids = (text: string) => db.search({ text }).map((r) => r.id).sort();
    expect(ids('café école')).toEqual(['a', 'b']);
    expect(ids('CAFÉ')).toEqual(['a', 'b']);
    expect(ids('École 2024')).toEqual(['a']);
    expect(ids('2024')).toEqual(['a', 'c']);
    expect(ids('cafe')).toEqual(['c']);
    expect(ids('café absent')).toEqual([]);
    expect(ids('?!')).toEqual([]);
    await db.close();
  });

  it('an item rewritten with new text is found by the new text only; an item without text never matches', async () => {
    const db = await TidalDb.open({ clock });
    await db.writeItem({ id: 'a', text: 'first draft' });
    await db.writeItem({ id: 'a', text: 'final copy' });
    await db.writeItem({ id: 'b', fields: { kind: 'no text' } });
    expect(db.search({ text: 'draft' })).toEqual([]);
    expect(db.search({ text: 'final' }).map((r) => r.id)).toEqual(['a']);
    expect(db.search({ text: 'text' })).toEqual([]);
    await db.close();
  });
});

describe('search ranks by BM25 relevance, ties by id ascending, cut at limit (default 10)', () => {
  it('the shorter of two texts holding the term ranks first; equal texts tie and rank by id', async () => {
    const db = await TidalDb.open({ clock });
    await db.writeItem({ id: 'long', text: 'tide tables for every harbour on the coast' });
    await db.writeItem({ id: 'z-short', text: 'tide tables' });
    await db.writeItem({ id: 'a-short', text: 'tide tables' });
    const results = db.search({ text: 'tide' });
    expect(results.map((r) => r.id)).toEqual(['a-short', 'z-short', 'long']);
    expect(results[0]!.score).toBe(results[1]!.score);
    await db.close();
  });

  it('limit defaults to 10', async () => {
    const db = await TidalDb.open({ clock });
    for (let i = 0; i < 14; i++) await db.writeItem({ id: `i${String(i).padStart(2, '0')}`, text: 'same words' });
    expect(db.search({ text: 'same' }).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `i${String(i).padStart(2, '0')}`));
    expect(db.search({ text: 'same', limit: 12 })).toHaveLength(12);
    await db.close();
  });
});

describe('search blends relevance with the decayed score of `signal` when given', () => {
  it('score = relevance * (1 + ln(1 + max(0, decayed score at `at`)))', async () => {
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    await db.writeItem({ id: 'a', text: 'tidal database' });
    await db.writeItem({ id: 'b', text: 'tidal database' });
    await db.writeItem({ id: 'c', text: 'tidal database' });
    await db.signal({ itemId: 'b', type: 'click', weight: 8, at: BASE_MS });
    await db.signal({ itemId: 'c', type: 'click', weight: -5, at: BASE_MS });
    const at = BASE_MS + 2 * HALF_LIFE_MS;
    const relevance = db.search({ text: 'tidal' })[0]!.score;
    const blended = db.search({ text: 'tidal', signal: 'click', at });
    expect(blended.map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(blended[0]!.score).toBeCloseTo(relevance * (1 + Math.log(1 + 2)), 12);
    expect(blended[1]!.score).toBe(relevance); // no signal: factor 1
    expect(blended[2]!.score).toBe(relevance); // negative score clamps to 0
    await db.close();
  });

  it('a popular but less relevant item can outrank a more relevant one', async () => {
    const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    await db.writeItem({ id: 'relevant', text: 'harbour' });
    await db.writeItem({ id: 'popular', text: 'harbour with a lot of other words around it' });
    await db.signal({ itemId: 'popular', type: 'click', weight: 1000, at: BASE_MS });
    expect(db.search({ text: 'harbour' }).map((r) => r.id)).toEqual(['relevant', 'popular']);
    expect(db.search({ text: 'harbour', signal: 'click', at: BASE_MS }).map((r) => r.id)).toEqual(['popular', 'relevant']);
    await db.close();
  });

  it('the ranking equals a sort of the blend computed from readDecayScore (seeded)', async () => {
    const words = ['tide', 'Tide', 'TIDE', 'moon', 'Mond', 'café', 'ÉCOLE', '7', 'harbour'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: -3, max: 20 }), fc.integer({ min: 0, max: 10 })), { maxLength: 40 }),
        fc.constantFrom(...words),
        fc.integer({ min: 1, max: 20 }),
        async (items, signals, query, limit) => {
          const db = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
          for (const [i, w] of items) await db.writeItem({ id: `item${i}`, text: w.join(' ') });
          for (const [i, weight, ago] of signals) await db.signal({ itemId: `item${i}`, type: 'click', weight, at: BASE_MS - ago * HALF_LIFE_MS });
          const plain = db.search({ text: query, limit: 10_000 });
          const expected = plain
            .map(({ id, score }) => ({ id, score: score * (1 + Math.log1p(Math.max(0, db.readDecayScore(id, 'click', BASE_MS)))) }))
            .sort(byScoreThenId)
            .slice(0, limit);
          const got = db.search({ text: query, signal: 'click', limit, at: BASE_MS });
          expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id));
          got.forEach((r, k) => expect(Math.abs(r.score - expected[k]!.score)).toBeLessThanOrEqual(1e-12 * expected[k]!.score));
          await db.close();
        },
      ),
      { seed: 1618, numRuns: 100 },
    );
  });
});

describe('same data, same answer: two separate databases fed the same writes search alike', () => {
  it('an in-memory and a file-backed database (reopened) give identical results, scores included', async () => {
    const dir = tempDir('search');
    const memory = await TidalDb.open({ halfLifeMs: HALF_LIFE_MS, clock });
    const file = await TidalDb.open({ dir, halfLifeMs: HALF_LIFE_MS, clock });
    const texts = ['Café tide', 'tide tide ÉCOLE', 'moon 2024', 'the tide is high', 'café école 2024 tide'];
    for (const db of [memory, file]) {
      for (let i = 0; i < 40; i++) await db.writeItem({ id: `i${i}`, text: texts[(i * 7) % texts.length]! + ` n${i % 3}` });
      for (let i = 0; i < 60; i++) await db.signal({ itemId: `i${(i * 11) % 40}`, type: 'click', weight: (i % 5) - 1, at: BASE_MS - (i % 9) * 1000 });
    }
    await file.close();
    const reopened = await TidalDb.open({ dir, clock });
    for (const q of [{ text: 'tide' }, { text: 'café tide', limit: 50 }, { text: 'TIDE', signal: 'click', at: BASE_MS, limit: 25 }, { text: '2024 n1' }]) {
      const expected = memory.search(q);
      expect(expected.length).toBeGreaterThan(0);
      expect(reopened.search(q)).toEqual(expected);
    }
    await memory.close();
    await reopened.close();
  });
});
