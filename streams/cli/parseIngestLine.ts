/**
 * One NDJSON ingest line to the write it asks for. Pure: text in, a write
 * or a problem out. The database validates the write itself (ids, types,
 * weights, times, fields), so this checks only the envelope.
 *
 *   {"signal": {"itemId": "song-1", "type": "view", "weight": 1, "at": 1764105600000}}
 *   {"item": {"id": "song-1", "text": "Quiet River Sessions", "fields": {"artist": "Ada"}}}
 */

/** What a line asks for: the input of `db.signal()` or of `db.writeItem()`, not yet validated. */
export type IngestWrite =
  | { readonly kind: 'signal'; readonly input: unknown }
  | { readonly kind: 'item'; readonly input: unknown };

/** A line's meaning: a write, nothing (a blank line), or why it is bad. */
export type ParsedIngestLine = IngestWrite | { readonly kind: 'blank' } | { readonly kind: 'bad'; readonly problem: string };

/** The envelope keys, one per line. */
const KINDS = ['signal', 'item'] as const;

/** Quoted in messages: enough to recognise a value, never a whole line. */
const MAX_QUOTED_CHARS = 40;

/**
 * Parses one line: a JSON object with exactly one key, `signal` or `item`,
 * whose value is what `db.signal()` or `db.writeItem()` takes. A line of
 * only whitespace is `blank`; anything else is `bad` with a problem that
 * says what was expected and what was found.
 *
 * @example
 * parseIngestLine('{"signal":{"itemId":"a","type":"view"}}'); // { kind: 'signal', input: { itemId: 'a', type: 'view' } }
 * parseIngestLine('{"like":{}}');                              // { kind: 'bad', problem: 'expected one key, "signal" or "item", got "like"' }
 */
export function parseIngestLine(text: string): ParsedIngestLine {
  if (text.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', problem: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'bad', problem: `expected a JSON object with one key, "signal" or "item", got ${describe(value)}` };
  }
  const keys = Object.keys(value);
  const kind = KINDS.find((k) => k === keys[0]);
  if (keys.length !== 1 || kind === undefined) {
    const got = keys.length === 0 ? 'no key' : keys.map((k) => quote(k)).join(', ');
    return { kind: 'bad', problem: `expected one key, "signal" or "item", got ${got}` };
  }
  return { kind, input: (value as Record<string, unknown>)[kind] };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text);
}
