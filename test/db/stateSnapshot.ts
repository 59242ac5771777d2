/**
 * Everything a reader can observe of a database, as one plain value, so two
 * databases can be compared with toEqual: items, every (item, type) score at
 * several times, retrieve and search results, lastSeq.
 */
import type { TidalDb } from '../../src/index.js';

export interface Observed {
  readonly lastSeq: number;
  readonly items: unknown[];
  readonly scores: Record<string, number>;
  readonly rankings: Record<string, unknown>;
  readonly searches: Record<string, unknown>;
}

export function observe(db: TidalDb, o: { itemIds: readonly string[]; types: readonly string[]; times: readonly number[]; queries: readonly string[] }): Observed {
  const scores: Record<string, number> = {};
  const rankings: Record<string, unknown> = {};
  const searches: Record<string, unknown> = {};
  for (const at of o.times) {
    for (const type of o.types) {
      for (const id of o.itemIds) scores[`${id}/${type}@${at}`] = db.readDecayScore(id, type, at);
      rankings[`${type}@${at}`] = db.retrieve({ signal: type, limit: 100, at });
      for (const text of o.queries) searches[`${text}/${type}@${at}`] = db.search({ text, signal: type, limit: 100, at });
    }
  }
  for (const text of o.queries) searches[text] = db.search({ text, limit: 100 });
  return { lastSeq: db.lastSeq, items: o.itemIds.map((id) => db.getItem(id) ?? null), scores, rankings, searches };
}
