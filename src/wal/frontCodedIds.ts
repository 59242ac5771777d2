/**
 * The item id dictionary of a v3 batch, front coded (as Lucene's term
 * dictionary and LevelDB's blocks are): ids ascending, each stored as the
 * number of UTF-16 code units it shares with the id before it and the rest.
 *
 *   ids     item-0001234, item-0001239, item-0001302
 *   stored  0 "item-0001234", 11 "9", 9 "302"
 *
 * Why: with 1,000 signals a batch over 5,000 items, ~900 ids of a batch are
 * distinct, so whole ids (13 bytes each) would cost ~12 bytes a signal on
 * their own; sorted neighbours share ~10 characters, and the dictionary
 * costs ~3.5 bytes a signal instead (docs/wal-format.md has the figures).
 *
 * A shared prefix never ends between the halves of a surrogate pair, so
 * every suffix is well-formed and survives msgpack's UTF-8 unchanged.
 */
import { itemIdProblem } from '../eventContent.js';

/** `sorted` (ascending, distinct) as the flat msgpack array [shared₀, rest₀, shared₁, rest₁, …]. */
export function frontCodeIds(sorted: readonly string[]): Array<number | string> {
  const out = new Array<number | string>(sorted.length * 2);
  let prev = '';
  for (let k = 0; k < sorted.length; k++) {
    const id = sorted[k]!;
    const shared = sharedPrefixLength(prev, id);
    out[2 * k] = shared;
    out[2 * k + 1] = shared === 0 ? id : id.slice(shared);
    prev = id;
  }
  return out;
}

/**
 * The ids of a front-coded dictionary, each checked once as a write checks
 * an item id (non-empty, well-formed, at most MAX_ID_BYTES), and strictly
 * ascending (so distinct). At most `maxIds` entries: no more than the batch
 * has signals, which bounds what a forged dictionary can make this build
 * (8,192 ids of at most 1 KiB). Throws a plain Error naming the entry.
 */
export function decodeFrontCodedIds(raw: unknown, maxIds: number): string[] {
  if (!Array.isArray(raw) || raw.length % 2 !== 0) throw new Error('the item id dictionary is not an array of [shared length, rest] pairs');
  const n = raw.length / 2;
  if (n > maxIds) throw new Error(`the item id dictionary holds ${n} ids, more than the batch's ${maxIds} signals`);
  const ids = new Array<string>(n);
  let prev = '';
  for (let k = 0; k < n; k++) {
    const shared: unknown = raw[2 * k];
    const rest: unknown = raw[2 * k + 1];
    if (!Number.isSafeInteger(shared) || (shared as number) < 0 || (shared as number) > prev.length || typeof rest !== 'string') {
      throw new Error(`item id ${k} of the dictionary: expected a shared length 0..${prev.length} and a string`);
    }
    const id = shared === 0 ? rest : prev.slice(0, shared as number) + rest;
    const problem = itemIdProblem(`item id ${k} of the dictionary`, id);
    if (problem !== null) throw new Error(problem);
    if (k > 0 && !(id > prev)) throw new Error(`item id ${k} of the dictionary is not after id ${k - 1}: the dictionary must ascend`);
    ids[k] = id;
    prev = id;
  }
  return ids;
}

function sharedPrefixLength(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let n = 0;
  while (n < max && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  // Do not split a surrogate pair: the rest would start with a lone low surrogate.
  if (n > 0 && n < b.length && isHighSurrogate(b.charCodeAt(n - 1))) n--;
  return n;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
