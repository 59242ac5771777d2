/**
 * What a decoded value must look like to be allowed into a database's
 * state, written from the spec and the write API's input policy rather than
 * from the decoders under test: anything the leader's own `signal()` and
 * `writeItem()` would refuse must not get in through a segment or a
 * checkpoint either.
 *
 * Each check returns null when the value is valid, or the reason it is not,
 * so a failing property names what slipped through.
 */
import { type HalfLives, type WalEvent } from '../../src/index.js';
import * as limits from '../../src/limits.js';

/**
 * Limits that exist in src/limits.ts; the ones added with issue 7 are read
 * if present, so this file does not pin their final names or values.
 */
const L = limits as unknown as Record<string, number | undefined>;
const MAX_ID_BYTES = L['MAX_ID_BYTES'] ?? 1024;
const MAX_SIGNAL_TYPE_BYTES = L['MAX_SIGNAL_TYPE_BYTES'] ?? 256;
const MAX_TEXT_BYTES = L['MAX_TEXT_BYTES'] ?? 1024 * 1024;
const MAX_REGION_BYTES = L['MAX_REGION_BYTES'] ?? 255;
/** A time outside this is not ms since the epoch (src: MAX_ABS_AT_MS, the range of a Date). */
const MAX_ABS_AT_MS = L['MAX_ABS_AT_MS'] ?? 8.64e15;
const MAX_ABS_WEIGHT = L['MAX_ABS_WEIGHT'] ?? Number.MAX_VALUE;
const MIN_HALF_LIFE_MS = L['MIN_HALF_LIFE_MS'] ?? Number.MIN_VALUE;
/** Without a documented bound, 1000 levels: far past any real item, far short of a stack overflow. */
const MAX_FIELDS_DEPTH = L['MAX_FIELDS_DEPTH'] ?? 1000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string that survives UTF-8 unchanged. */
export function isWellFormedString(s: unknown): s is string {
  return typeof s === 'string' && !LONE_SURROGATE.test(s);
}

function badName(what: string, s: unknown, maxBytes: number): string | null {
  if (!isWellFormedString(s)) return `${what} is not a well-formed string: ${show(s)}`;
  if (s.length === 0) return `${what} is empty`;
  if (Buffer.byteLength(s) > maxBytes) return `${what} is ${Buffer.byteLength(s)} bytes, over ${maxBytes}`;
  return null;
}

/** Why `e` could not have been written by the write API, or null. */
export function invalidEvent(e: WalEvent): string | null {
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) return `seq ${show(e.seq)}`;
  if (e.kind === 'signal') {
    return badName('itemId', e.itemId, MAX_ID_BYTES) ?? badName('type', e.type, MAX_SIGNAL_TYPE_BYTES)
      ?? (typeof e.weight === 'number' && Number.isFinite(e.weight) && Math.abs(e.weight) <= MAX_ABS_WEIGHT ? null : `weight ${show(e.weight)}`)
      ?? (typeof e.at === 'number' && Number.isFinite(e.at) && Math.abs(e.at) <= MAX_ABS_AT_MS ? null : `at ${show(e.at)}`);
  }
  if (e.kind === 'item') {
    const text = e.text === null ? null
      : !isWellFormedString(e.text) ? `text is not a well-formed string: ${show(e.text)}`
        : Buffer.byteLength(e.text) > MAX_TEXT_BYTES ? `text over ${MAX_TEXT_BYTES} bytes` : null;
    return badName('id', e.id, MAX_ID_BYTES) ?? text ?? (e.fields === null ? null : invalidFields(e.fields));
  }
  return `unknown kind ${show((e as { kind: unknown }).kind)}`;
}

/** Why `fields` is not a plain JSON-like object (of bounded depth), or null. */
export function invalidFields(fields: unknown): string | null {
  if (!isPlainObject(fields)) return `fields is not a plain object: ${show(fields)}`;
  return invalidJsonLike(fields, 1, 'fields');
}

function invalidJsonLike(v: unknown, depth: number, path: string): string | null {
  if (v === null || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${path} is ${v}`;
  if (typeof v === 'string') return isWellFormedString(v) ? null : `${path} is not well-formed: ${show(v)}`;
  if (depth > MAX_FIELDS_DEPTH) return `${path} nests deeper than ${MAX_FIELDS_DEPTH}`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = invalidJsonLike(v[i], depth + 1, `${path}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (isPlainObject(v)) {
    for (const key of Reflect.ownKeys(v)) {
      if (typeof key !== 'string' || !isWellFormedString(key)) return `${path} has key ${show(key)}`;
      const bad = invalidJsonLike((v as Record<string, unknown>)[key], depth + 1, `${path}.${key}`);
      if (bad) return bad;
    }
    return null;
  }
  return `${path} is a ${Object.prototype.toString.call(v)}: ${show(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Why a decoded segment header's meta could not have been written by a leader, or null. */
export function invalidHeaderMeta(h: { regionId: unknown; halfLives: HalfLives; epoch: unknown }): string | null {
  return badName('regionId', h.regionId, MAX_REGION_BYTES)
    ?? invalidHalfLives(h.halfLives)
    ?? (typeof h.epoch === 'number' && Number.isSafeInteger(h.epoch) && h.epoch >= 0 ? null : `epoch ${show(h.epoch)}`);
}

export function invalidHalfLives(h: unknown): string | null {
  if (typeof h !== 'object' || h === null) return `halfLives ${show(h)}`;
  const { defaultMs, byType } = h as { defaultMs: unknown; byType: unknown };
  if (!isHalfLife(defaultMs)) return `default half-life ${show(defaultMs)}`;
  if (typeof byType !== 'object' || byType === null || Array.isArray(byType)) return `half-lives by type ${show(byType)}`;
  if (byType instanceof Map) {
    for (const [t, ms] of byType) if (!isWellFormedString(t) || !isHalfLife(ms)) return `half-life of ${show(t)}: ${show(ms)}`;
    return null;
  }
  for (const key of Reflect.ownKeys(byType)) {
    const ms = (byType as Record<string | symbol, unknown>)[key];
    if (typeof key !== 'string' || !isWellFormedString(key) || !isHalfLife(ms)) return `half-life of ${show(key)}: ${show(ms)}`;
  }
  return null;
}

function isHalfLife(ms: unknown): boolean {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= MIN_HALF_LIFE_MS;
}

/** A short rendering of any value, lone surrogates visible. */
export function show(v: unknown): string {
  if (typeof v === 'string') {
    const shown = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…(${v.length} chars)` : v);
    return shown;
  }
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (v instanceof Uint8Array) return `${v.constructor.name}(${v.length})`;
  if (typeof v === 'object' && v !== null) return Object.prototype.toString.call(v);
  return String(v);
}

/** The shape of a decoded segment that the checks below read (src/wal/decodeSegment.ts DecodedSegment). */
export interface DecodedSegmentLike {
  readonly header: { readonly firstSeq: number; readonly regionId: unknown; readonly halfLives: HalfLives; readonly epoch: unknown };
  readonly batches: ReadonlyArray<{ readonly firstSeq: number; readonly lastSeq: number; readonly events: readonly WalEvent[] }>;
  readonly footer: { readonly eventCount: number; readonly lastSeq: number; readonly sealedAtMs: number } | null;
  readonly lastSeq: number;
}

/**
 * Why a segment the decoder accepted is not one a leader could have
 * written, or null: invalid meta or event content, or seqnos and counts
 * that do not hold together (batches contiguous from the header's first
 * seqno, events contiguous within each batch, the footer's count and last
 * seqno equal to what the batches hold), or a sealed-at time that is not a
 * time (it becomes the segment's `sealedAtMs`, which replication lag reads).
 */
export function invalidDecodedSegment(d: DecodedSegmentLike, sealed: boolean): string | null {
  const meta = invalidHeaderMeta(d.header);
  if (meta) return `header meta: ${meta}`;
  let next = d.header.firstSeq;
  let count = 0;
  for (const b of d.batches) {
    if (b.firstSeq !== next) return `batch starts at ${b.firstSeq}, expected ${next}`;
    if (b.events.length !== b.lastSeq - b.firstSeq + 1) return `batch ${b.firstSeq}..${b.lastSeq} holds ${b.events.length} events`;
    for (const e of b.events) {
      if (e.seq !== next) return `event seq ${e.seq}, expected ${next}`;
      const bad = invalidEvent(e);
      if (bad) return `event ${e.seq}: ${bad}`;
      next++;
      count++;
    }
  }
  if (d.lastSeq !== next - 1) return `lastSeq ${d.lastSeq}, batches end at ${next - 1}`;
  if (sealed && d.footer === null) return 'sealed segment decoded without a footer';
  if (d.footer && (d.footer.eventCount !== count || d.footer.lastSeq !== d.lastSeq)) {
    return `footer claims ${d.footer.eventCount} events up to ${d.footer.lastSeq}, batches hold ${count} up to ${d.lastSeq}`;
  }
  if (d.footer && !(Number.isFinite(d.footer.sealedAtMs) && Math.abs(d.footer.sealedAtMs) <= MAX_ABS_AT_MS)) return `footer sealed at ${d.footer.sealedAtMs}`;
  return null;
}
