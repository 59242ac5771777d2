/**
 * Everything a reader can observe of a follower, as one plain value, so
 * "nothing changed" and "the same state" are `toEqual`: lastSeq, epoch,
 * every probed (item, type) score at every probed time, retrieve rankings,
 * items, and the WAL's sealed-segment index. A read that throws is
 * recorded as its error code (and must be a typed error).
 *
 * The probes are the real log's ids and types plus every string a mutated
 * input carries, so a partial apply of a forged event is seen too.
 */
import { Packr } from 'msgpackr';
import type { TidalDb } from '../../src/index.js';
import { assertTypedError } from './typedErrors.js';
import { invalidFields, isWellFormedString, show } from './validContent.js';

export interface Probes {
  readonly itemIds: readonly string[];
  readonly types: readonly string[];
  readonly times: readonly number[];
}

export interface Observation {
  readonly lastSeq: number;
  readonly epoch: number;
  readonly scores: Record<string, unknown>;
  readonly rankings: Record<string, unknown>;
  readonly items: Record<string, unknown>;
  readonly sealed: unknown[];
}

/** Strings longer than this are not probed (a huge forged id is still caught by lastSeq and the index). */
const MAX_PROBE_CHARS = 2048;
/** Extra strings probed, each as an id and as a type: (3 + 8)² pairs at 2 times keeps an observation under ~0.2 ms. */
const MAX_PROBES = 8;

export function observe(db: TidalDb, probes: Probes): Observation {
  const scores: Record<string, unknown> = {};
  const rankings: Record<string, unknown> = {};
  const items: Record<string, unknown> = {};
  for (const at of probes.times) {
    for (const type of probes.types) {
      for (const id of probes.itemIds) scores[`${JSON.stringify(id)}/${JSON.stringify(type)}@${at}`] = read('readDecayScore', () => db.readDecayScore(id, type, at));
      rankings[`${JSON.stringify(type)}@${at}`] = read('retrieve', () => db.retrieve({ signal: type, limit: 50, at }));
    }
  }
  for (const id of probes.itemIds) items[JSON.stringify(id)] = read('getItem', () => db.getItem(id) ?? null);
  const sealed = db.wal.sealedSegments.map((s) => ({
    segmentId: s.segmentId, firstSeq: s.firstSeq, lastSeq: s.lastSeq, sealedAtMs: s.sealedAtMs, byteLength: s.byteLength, checksum: s.checksum.toHex(),
  }));
  return { lastSeq: db.lastSeq, epoch: db.epoch, scores, rankings, items, sealed };
}

function read(what: string, run: () => unknown): unknown {
  let value: unknown;
  try {
    value = run();
  } catch (err) {
    assertTypedError(err, what);
    return { threw: err.code };
  }
  if (typeof value !== 'object' || value === null) return value;
  try {
    return structuredClone(value); // a snapshot, not a live reference into the state
  } catch {
    return { uncloneable: show(value) }; // a function or symbol got into the state: invalid, and visible
  }
}

/**
 * Why an observed state is invalid, or null: a NaN score, a ranking entry
 * with a NaN score or a malformed id, or an item with malformed content.
 */
export function invalidObservation(o: Observation): string | null {
  for (const [key, score] of Object.entries(o.scores)) {
    if (typeof score === 'number' && Number.isNaN(score)) return `score ${key} is NaN`;
  }
  for (const [key, ranking] of Object.entries(o.rankings)) {
    if (!Array.isArray(ranking)) continue;
    for (const r of ranking as Array<{ id: unknown; score: unknown }>) {
      if (!isWellFormedString(r.id)) return `ranking ${key} lists id ${show(r.id)}`;
      if (typeof r.score !== 'number' || Number.isNaN(r.score)) return `ranking ${key} gives ${show(r.id)} score ${show(r.score)}`;
    }
  }
  for (const [key, item] of Object.entries(o.items)) {
    if (item === null || (item as { threw?: unknown }).threw) continue;
    const { id, text, fields } = item as { id: unknown; text: unknown; fields: unknown };
    if (!isWellFormedString(id)) return `item ${key} has id ${show(id)}`;
    if (text !== null && !isWellFormedString(text)) return `item ${key} has text ${show(text)}`;
    if (fields !== null) {
      const bad = invalidFields(fields);
      if (bad) return `item ${key}: ${bad}`;
    }
  }
  return null;
}

/** The real log's probes plus every short string found in `extra` (decoded values of any shape). */
export function withProbesFrom(base: Probes, extra: readonly unknown[]): Probes {
  const found = new Set<string>();
  const walk = (v: unknown, depth: number) => {
    if (found.size >= MAX_PROBES || depth > 6) return;
    if (typeof v === 'string') {
      if (v.length <= MAX_PROBE_CHARS) found.add(v);
    } else if (Array.isArray(v)) {
      for (const x of v.slice(0, 64)) walk(x, depth + 1);
    } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      for (const [k, x] of Object.entries(v).slice(0, 64)) {
        walk(k, depth + 1);
        walk(x, depth + 1);
      }
    }
  };
  for (const v of extra) walk(v, 0);
  const extraStrings = [...found].filter((s) => !base.itemIds.includes(s) && !base.types.includes(s));
  return { itemIds: [...base.itemIds, ...extraStrings], types: [...base.types, ...extraStrings], times: base.times };
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/**
 * Whatever msgpack values can be read out of damaged segment bytes: the
 * meta and each batch payload, found by the lengths the bytes declare.
 * Tolerant: a region that does not decode is skipped.
 */
export function valuesInSegment(bytes: Uint8Array): unknown[] {
  const out: unknown[] = [];
  if (bytes.length < 40) return out;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metaEnd = 40 + v.getUint32(12, true);
  tryUnpack(bytes.subarray(40, Math.min(metaEnd, bytes.length)), out);
  for (let at = metaEnd; at + 76 <= bytes.length;) {
    const end = at + 76 + v.getUint32(at + 40, true);
    tryUnpack(bytes.subarray(at + 76, Math.min(end, bytes.length)), out);
    at = end;
  }
  return out;
}

function tryUnpack(bytes: Uint8Array, out: unknown[]): void {
  try {
    out.push(packr.unpack(bytes));
  } catch {
    // not decodable: nothing to probe
  }
}
