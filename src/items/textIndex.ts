/**
 * An inverted index over item text, ranked with BM25 (k1 = 1.2, b = 0.75):
 *
 *   bm25(d, q) = sum over distinct query tokens t of
 *     idf(t) * tf(t,d) * (k1 + 1) / (tf(t,d) + k1 * (1 - b + b * len(d) / avgLen))
 *   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
 *
 * where N is the number of indexed items. A document matches only if it
 * holds every query token. Same data, same scores on every node.
 */
import { tokenize } from './tokenize.js';

const K1 = 1.2;
const B = 0.75;

interface DocTerms {
  readonly counts: Map<string, number>;
  readonly length: number;
}

export class TextIndex {
  private readonly postings = new Map<string, Set<string>>();
  private readonly docs = new Map<string, DocTerms>();
  private totalLength = 0;

  /** Indexes (or re-indexes) `id` with `text`; null removes it. */
  set(id: string, text: string | null): void {
    this.remove(id);
    if (text === null) return;
    const tokens = tokenize(text);
    if (tokens.length === 0) return;
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const t of counts.keys()) {
      let posting = this.postings.get(t);
      if (!posting) this.postings.set(t, (posting = new Set()));
      posting.add(id);
    }
    this.docs.set(id, { counts, length: tokens.length });
    this.totalLength += tokens.length;
  }

  /** Ids holding every token of `query`, with their BM25 relevance; empty for a query with no tokens. */
  match(query: string): Array<{ id: string; relevance: number }> {
    const terms = [...new Set(tokenize(query))];
    if (terms.length === 0) return [];
    const lists: Set<string>[] = [];
    for (const t of terms) {
      const posting = this.postings.get(t);
      if (!posting) return [];
      lists.push(posting);
    }
    lists.sort((a, b) => a.size - b.size);
    const [smallest, ...rest] = lists;
    const n = this.docs.size;
    const avgLength = this.totalLength / n;
    const idf = terms.map((t) => {
      const df = this.postings.get(t)!.size;
      return Math.log(1 + (n - df + 0.5) / (df + 0.5));
    });
    const out: Array<{ id: string; relevance: number }> = [];
    for (const id of smallest!) {
      if (!rest.every((s) => s.has(id))) continue;
      const doc = this.docs.get(id)!;
      let relevance = 0;
      for (let i = 0; i < terms.length; i++) {
        const tf = doc.counts.get(terms[i]!)!;
        relevance += (idf[i]! * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * doc.length) / avgLength));
      }
      out.push({ id, relevance });
    }
    return out;
  }

  private remove(id: string): void {
    const doc = this.docs.get(id);
    if (!doc) return;
    for (const t of doc.counts.keys()) {
      const posting = this.postings.get(t)!;
      posting.delete(id);
      if (posting.size === 0) this.postings.delete(t);
    }
    this.docs.delete(id);
    this.totalLength -= doc.length;
  }
}
