/**
 * The query corpus: items with ~8 words of text drawn from a ~5,000-word
 * vocabulary, and signals spread Zipf-like over items with `at` spread over
 * a few days. Shared by queries.ts and rssChild.ts so both measure the same data.
 */
import type { TidalDb } from '../../src/index.js';
import { itemIds, rng, writeBulk, zipfSampler } from './workload.js';

export const VOCABULARY_WORDS = 5000;
export const WORDS_PER_ITEM = 8;
/** Zipf exponent for item popularity and word frequency: roughly what real traffic and text show. */
export const ZIPF_S = 1.0;
/** Signals' `at` spread over this many ms before "now". */
export const SPREAD_MS = 3 * 86_400_000;

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'po', 'da', 'fe', 'gu', 'hi', 'ja', 'bo'];

/** Deterministic pronounceable words: word k spells k in base 16 syllables ('ka', 'kalo', …), all distinct. */
export function vocabulary(size = VOCABULARY_WORDS): string[] {
  return Array.from({ length: size }, (_, k) => {
    let word = '';
    let n = k;
    do {
      word = SYLLABLES[n % 16]! + word;
      n = Math.floor(n / 16);
    } while (n > 0);
    return word + 'x';
  });
}

export interface CorpusOptions {
  readonly items: number;
  readonly signals: number;
  /** Write items with text first (false: signals only). */
  readonly withText: boolean;
  readonly seed?: number;
  /** "now" for the `at` spread; default Date.now(). */
  readonly nowMs?: number;
}

export interface Corpus {
  readonly ids: readonly string[];
  readonly words: readonly string[];
  /** Draws an item index with the corpus's popularity skew. */
  readonly popularItem: () => number;
  /** Draws a word with the corpus's word-frequency skew (as item text does). */
  readonly commonWord: () => string;
  /** Draws a vocabulary word uniformly (as queries do). */
  readonly randomWord: () => string;
}

/** Writes the corpus into `db` (bulk, not measured) and returns its generators for queries and further writes. */
export async function populateCorpus(db: TidalDb, options: CorpusOptions): Promise<Corpus> {
  const random = rng(options.seed ?? 42);
  const ids = itemIds(options.items);
  const words = vocabulary();
  const popularItem = zipfSampler(ids.length, ZIPF_S, random);
  const wordRank = zipfSampler(words.length, ZIPF_S, random);
  const commonWord = (): string => words[wordRank()]!;
  if (options.withText) {
    await writeBulk(ids.length, (i) => {
      const text = Array.from({ length: WORDS_PER_ITEM }, commonWord).join(' ');
      return db.writeItem({ id: ids[i]!, text });
    });
  }
  const nowMs = options.nowMs ?? Date.now();
  // Shuffle popularity over ids so the popular items are not the lowest ids (ties by id would flatter retrieve).
  const order = shuffled(ids.length, random);
  await writeBulk(options.signals, () => db.signal({
    itemId: ids[order[popularItem()]!]!, type: 'view', at: nowMs - random() * SPREAD_MS,
  }));
  const randomWord = (): string => words[Math.floor(random() * words.length)]!;
  return { ids, words, popularItem: () => order[popularItem()]!, commonWord, randomWord };
}

function shuffled(n: number, random: () => number): Uint32Array {
  const a = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
