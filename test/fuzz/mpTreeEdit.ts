/**
 * Edits of msgpack trees (`Mp`) by path, for mutating a decoded structure
 * (a segment's meta, a checkpoint body) without knowing its schema: list
 * every node's path, then replace, delete or duplicate the node at one.
 */
import { type Mp, str } from './msgpackWriter.js';

/** One step into a container: item `i` of an array, or entry `i` of a map (its key or its value). */
export interface Step {
  readonly i: number;
  readonly part: 'key' | 'value';
}
export type Path = readonly Step[];

/** Every node's path, root first, depth first; at most `limit` of them. */
export function pathsOf(tree: Mp, limit = 10_000): Path[] {
  const out: Path[] = [];
  const walk = (node: Mp, path: Path) => {
    if (out.length >= limit) return;
    out.push(path);
    if (node.t === 'arr') node.items.forEach((item, i) => walk(item, [...path, { i, part: 'value' }]));
    if (node.t === 'map') {
      node.entries.forEach(([k, v], i) => {
        walk(k, [...path, { i, part: 'key' }]);
        walk(v, [...path, { i, part: 'value' }]);
      });
    }
  };
  walk(tree, []);
  return out;
}

export type Edit =
  | { readonly op: 'replace'; readonly value: Mp }
  /** Removes an array item or a whole map entry (the root cannot be removed). */
  | { readonly op: 'delete' }
  /** Repeats an array item or a map entry right after itself (a duplicate key). */
  | { readonly op: 'duplicate' }
  /** Adds an entry to the map at the path (or an item to the array). */
  | { readonly op: 'add'; readonly key: Mp; readonly value: Mp };

/** The tree with `edit` made at `path` (unchanged if the path does not fit). */
export function editAt(tree: Mp, path: Path, edit: Edit): Mp {
  if (path.length === 0) {
    if (edit.op === 'replace') return edit.value;
    if (edit.op === 'add') return addTo(tree, edit.key, edit.value);
    return tree;
  }
  const [step, ...rest] = path as [Step, ...Step[]];
  if (tree.t === 'arr') {
    const items = [...tree.items];
    const child = items[step.i];
    if (!child) return tree;
    if (rest.length === 0 && edit.op === 'delete') items.splice(step.i, 1);
    else if (rest.length === 0 && edit.op === 'duplicate') items.splice(step.i, 0, child);
    else items[step.i] = editAt(child, rest, edit);
    return { ...tree, items };
  }
  if (tree.t === 'map') {
    const entries = [...tree.entries];
    const entry = entries[step.i];
    if (!entry) return tree;
    if (rest.length === 0 && edit.op === 'delete') entries.splice(step.i, 1);
    else if (rest.length === 0 && edit.op === 'duplicate') entries.splice(step.i, 0, entry);
    else entries[step.i] = step.part === 'key' ? [editAt(entry[0], rest, edit), entry[1]] : [entry[0], editAt(entry[1], rest, edit)];
    return { ...tree, entries };
  }
  return tree;
}

function addTo(tree: Mp, key: Mp, value: Mp): Mp {
  if (tree.t === 'map') return { ...tree, entries: [...tree.entries, [key, value]] };
  if (tree.t === 'arr') return { ...tree, items: [...tree.items, value] };
  return tree;
}

/** The value under string key `key` of a map node, or undefined. */
export function entryValue(tree: Mp, key: string): Mp | undefined {
  if (tree.t !== 'map') return undefined;
  const want = (str(key) as { bytes: Uint8Array }).bytes;
  for (const [k, v] of tree.entries) if (k.t === 'str' && Buffer.from(k.bytes).equals(Buffer.from(want))) return v;
  return undefined;
}

/** Every string in the tree (keys and values), decoded as UTF-8; used to probe a state for what a mutation put in it. */
export function stringsOf(tree: Mp, limit = 64): string[] {
  const out = new Set<string>();
  const walk = (node: Mp) => {
    if (out.size >= limit) return;
    if (node.t === 'str') out.add(Buffer.from(node.bytes).toString('utf8'));
    if (node.t === 'arr') node.items.forEach(walk);
    if (node.t === 'map') node.entries.forEach(([k, v]) => (walk(k), walk(v)));
  };
  walk(tree);
  return [...out];
}

/** The node at `path`, or undefined when the path does not fit the tree. */
export function nodeAt(tree: Mp, path: Path): Mp | undefined {
  let node: Mp | undefined = tree;
  for (const step of path) {
    if (node?.t === 'arr') node = node.items[step.i];
    else if (node?.t === 'map') node = node.entries[step.i]?.[step.part === 'key' ? 0 : 1];
    else return undefined;
  }
  return node;
}

/** The tree with the value under the string keys `keys` (a path through nested maps) replaced; unchanged if a key is missing. */
export function setByKeys(tree: Mp, keys: readonly string[], value: Mp): Mp {
  if (keys.length === 0) return value;
  if (tree.t !== 'map') return tree;
  const [key, ...rest] = keys as [string, ...string[]];
  const want = Buffer.from(key);
  const i = tree.entries.findIndex(([k]) => k.t === 'str' && Buffer.from(k.bytes).equals(want));
  if (i < 0) return tree;
  const entries = [...tree.entries];
  entries[i] = [entries[i]![0], setByKeys(entries[i]![1], rest, value)];
  return { ...tree, entries };
}
