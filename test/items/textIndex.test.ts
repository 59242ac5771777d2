/**
 * The text index: an item matches when its text holds every query token
 * (case-insensitive runs of Unicode letters and digits, NFKC-normalised),
 * and its relevance is BM25 with k1 = 1.2, b = 0.75 as documented in
 * src/items/textIndex.ts. The BM25 reference is computed here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextIndex } from '../../src/items/textIndex.js';
import { tokenize } from '../../src/items/tokenize.js';

/** Reference tokens: NFKC, lower case, split on anything that is not a letter or digit. */
function tokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

/** Reference BM25 over `docs` (id -> text) for `query`; only docs holding every token. */
function bm25(docs: ReadonlyMap<string, string>, query: string): Map<string, number> {
  const k1 = 1.2;
  const b = 0.75;
  const docTokens = new Map([...docs].map(([id, text]) => [id, tokens(text)] as const).filter(([, t]) => t.length > 0));
  const n = docTokens.size;
  const avg = [...docTokens.values()].reduce((s, t) => s + t.length, 0) / n;
  const terms = [...new Set(tokens(query))];
  const out = new Map<string, number>();
  if (terms.length === 0) return out;
  for (const [id, toks] of docTokens) {
    if (!terms.every((t) => toks.includes(t))) continue;
    let score = 0;
    for (const term of terms) {
      const df = [...docTokens.values()].filter((d) => d.includes(term)).length;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      const tf = toks.filter((t) => t === term).length;
      score += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * toks.length) / avg));
    }
    out.set(id, score);
  }
  return out;
}

describe('tokens are case-insensitive runs of Unicode letters and digits', () => {
  it('splits on punctuation and space, lower-cases, keeps accented letters and digits', () => {
    expect(tokenize('Café-au-lait 2024, ÉCOLE!')).toEqual(['café', 'au', 'lait', '2024', 'école']);
  });

  it('a decomposed accent (e + U+0301) is the same token as the composed one', () => {
    expect(tokenize('Cafe\u0301')).toEqual(tokenize('CAFÉ'));
  });

  it('non-Latin scripts and non-ASCII digits are tokens too', () => {
    expect(tokenize('Привет мир ٣٤ 東京')).toEqual(['привет', 'мир', '٣٤', '東京']);
  });

  it('full-width forms fold to ASCII (NFKC)', () => {
    expect(tokenize('ＡＢＣ１２３')).toEqual(['abc123']);
  });

  it('text without letters or digits has no tokens', () => {
    expect(tokenize(' -- !! ')).toEqual([]);
  });
});

describe('an item matches only when its text holds every query token', () => {
  it('matches case-insensitively across accents and digits, and requires all tokens', () => {
    const index = new TextIndex();
    index.set('a', 'Café de l’ÉCOLE 42');
    index.set('b', 'cafe ecole 42');
    index.set('c', 'CAFÉ only');
    expect(index.match('café école').map((m) => m.id).sort()).toEqual(['a']);
    expect(index.match('CAFÉ').map((m) => m.id).sort()).toEqual(['a', 'c']);
    expect(index.match('42').map((m) => m.id).sort()).toEqual(['a', 'b']);
    expect(index.match('cafe').map((m) => m.id)).toEqual(['b']);
    expect(index.match('café missing')).toEqual([]);
    expect(index.match('  ')).toEqual([]);
  });

  it('re-indexing an item replaces its old tokens; null text removes it', () => {
    const index = new TextIndex();
    index.set('a', 'old words');
    index.set('a', 'new words');
    expect(index.match('old')).toEqual([]);
    expect(index.match('new').map((m) => m.id)).toEqual(['a']);
    index.set('a', null);
    expect(index.match('words')).toEqual([]);
  });
});

describe('relevance is BM25 (k1 = 1.2, b = 0.75) over the indexed items', () => {
  const vocabulary = ['Café', 'café', 'CAFE\u0301', 'ÉCOLE', 'école', 'ecole', 'data', 'Data', '2024', '42', 'tidal', 'ΔΈΛΤΑ', 'δέλτα'];
  const text = fc.array(fc.constantFrom(...vocabulary), { minLength: 0, maxLength: 12 }).map((w) => w.join(' '));

  it('matches and relevance equal the reference for random texts, rewrites and queries (seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.option(text, { nil: null })), { minLength: 1, maxLength: 40 }),
        fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')),
        (writes, query) => {
          const index = new TextIndex();
          const docs = new Map<string, string>();
          for (const [i, t] of writes) {
            index.set(`d${i}`, t);
            if (t === null) docs.delete(`d${i}`);
            else docs.set(`d${i}`, t);
          }
          const expected = bm25(docs, query);
          const got = new Map(index.match(query).map((m) => [m.id, m.relevance]));
          expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [id, relevance] of expected) {
            expect(Math.abs(got.get(id)! - relevance)).toBeLessThanOrEqual(1e-12 * Math.abs(relevance));
          }
        },
      ),
      { seed: 2718, numRuns: 300 },
    );
  });

  it('a rarer term weighs more, and the same term in a shorter text weighs more', () => {
    const index = new TextIndex();
    index.set('short', 'tidal data');
    index.set('long', 'tidal data and many other words here');
    index.set('common1', 'data');
    index.set('common2', 'data');
    const r = new Map(index.match('tidal').map((m) => [m.id, m.relevance]));
    expect(r.get('short')!).toBeGreaterThan(r.get('long')!);
    const rare = index.match('tidal').find((m) => m.id === 'short')!.relevance;
    const common = index.match('data').find((m) => m.id === 'short')!.relevance;
    expect(rare).toBeGreaterThan(common);
  });
});
