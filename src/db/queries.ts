/**
 * Read queries over a DbState: pure functions, so a leader and a follower
 * holding the same state give the same answer.
 */
import { TidalError } from '../errors.js';
import { atProblem, describe } from '../eventContent.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../limits.js';
import { before } from '../ledger/topK.js';
import type { DbState } from './dbState.js';

/** One ranked result. */
export interface Scored {
  readonly id: string;
  readonly score: number;
}

/** What `db.retrieve()` ranks: items by the decayed score of one signal type, best first, ties by id. */
export interface RetrieveQuery {
  /** Signal type to rank by. */
  signal: string;
  /** Results to return, 1..10000. Default 10. */
  limit?: number;
  /** Time to decay scores to, ms since epoch. Default: the clock now. */
  at?: number;
  /** On a follower: fail with `Stale` if it knows it is more than this many ms behind its leader. */
  maxStaleMs?: number;
}

/** What `db.search()` matches: every token of `text` (BM25), optionally blended with a signal type's decayed score. */
export interface SearchQuery {
  /** Every token of it must appear in an item's text (case-insensitive letters and digits). */
  text: string;
  limit?: number;
  /** Blend relevance with this signal's decayed score: relevance * (1 + ln(1 + max(0, score))). */
  signal?: string;
  at?: number;
  maxStaleMs?: number;
}

const RETRIEVE_KEYS = new Set(['signal', 'limit', 'at', 'maxStaleMs']);
const SEARCH_KEYS = new Set(['text', 'limit', 'signal', 'at', 'maxStaleMs']);

/** Items by decayed score of `signal` at `at`, best first, ties by id ascending. Items without that signal are not listed. */
export function retrieve(state: DbState, q: RetrieveQuery, now: number): Scored[] {
  checkKeys(q, RETRIEVE_KEYS, 'retrieve');
  const signal = checkType('signal', q.signal);
  return state.ledger.best(signal, checkLimit(q.limit), checkAt(q.at, now));
}

/** Items whose text holds every query token, by BM25 relevance (blended with `signal` when given), ties by id. */
export function search(state: DbState, q: SearchQuery, now: number): Scored[] {
  checkKeys(q, SEARCH_KEYS, 'search');
  if (typeof q.text !== 'string') throw new TidalError('InvalidInput', `text must be a string, got ${describe(q.text)}`);
  const limit = checkLimit(q.limit);
  const at = checkAt(q.at, now);
  const signal = q.signal === undefined ? null : checkType('signal', q.signal);
  const matches = state.items.text.match(q.text);
  const scored = matches.map(({ id, relevance }) => ({
    id,
    score: signal === null ? relevance : relevance * (1 + Math.log1p(Math.max(0, state.ledger.score(id, signal, at)))),
  }));
  return topByScore(scored, limit);
}

/** The best `limit` by score desc, id asc: a bounded insertion pass, O(n log limit). */
export function topByScore(scored: readonly Scored[], limit: number): Scored[] {
  const best: Scored[] = [];
  for (const s of scored) {
    const worst = best[best.length - 1];
    if (best.length >= limit && worst && !before(s.score, s.id, worst.score, worst.id)) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(best[mid]!.score, best[mid]!.id, s.score, s.id)) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, s);
    if (best.length > limit) best.pop();
  }
  return best;
}

function checkKeys(q: object, keys: Set<string>, what: string): void {
  if (typeof q !== 'object' || q === null) throw new TidalError('InvalidInput', `${what} query must be an object`);
  for (const key in q) if (!keys.has(key)) throw new TidalError('InvalidInput', `unknown ${what} field ${JSON.stringify(key)}`);
}

function checkType(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new TidalError('InvalidInput', `${field} must be a non-empty string, got ${describe(value)}`);
  return value;
}

function checkLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new TidalError('InvalidInput', `limit must be an integer in 1..${MAX_LIMIT}, got ${describe(limit)}`);
  }
  return limit;
}

/** A query's `at`: the clock now when omitted, else a time in the legal range (±8.64e15 ms). */
export function checkAt(at: unknown, now: number): number {
  if (at === undefined) return now;
  const problem = atProblem('at', at);
  if (problem !== null) throw new TidalError('InvalidInput', problem);
  return at as number;
}
