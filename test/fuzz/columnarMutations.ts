/**
 * Structure-aware mutations of batch format v3 (docs/wal-format.md, "Batch
 * payload v3"), as printable descriptors for segmentMutations.ts:
 *
 * - `columnToken`: one value of one column (a tag, an id index, a weight, a
 *   time) replaced by a hostile token: NaN, ±Infinity, -0 or out-of-range
 *   floats, varints past the dictionaries or past 2^53, deltas that leave
 *   the legal time range, unknown codes, a float cut short;
 * - `dictionaryEntry`: one entry of the id dictionary (a shared length or a
 *   rest) or the type dictionary replaced by a hostile value.
 *
 * The columns are taken apart by the spec (test/wal/fixtures/columnarSpec.ts
 * conventions), not by the decoder under test, and put back token by token.
 * A `consistent` mutation is renumbered afterwards, so only the content
 * checks can refuse it.
 */
import fc from 'fast-check';
import { varintBytes, zigzag } from '../wal/fixtures/columnarSpec.js';
import { hostileNumber, hostileString, hostileValue } from './hostileValues.js';
import { int, type Mp } from './msgpackWriter.js';
import { view } from './segmentParts.js';
import type { Workbench } from './segmentWorkbench.js';

export type ColumnName = 'tag' | 'id' | 'weight' | 'time';

export type ColumnarMutation =
  | { readonly kind: 'columnToken'; readonly batch: number; readonly column: ColumnName; readonly nth: number; readonly token: readonly number[]; readonly consistent: boolean }
  | { readonly kind: 'dictionaryEntry'; readonly batch: number; readonly part: 'ids' | 'types'; readonly nth: number; readonly value: Mp; readonly consistent: boolean };

const f32 = (v: number) => [1, ...new Uint8Array(new Float32Array([v]).buffer)];
const f64 = (v: number) => [3, ...new Uint8Array(new Float64Array([v]).buffer)];
const intCode = (v: number) => varintBytes(zigzag(v) * 2);
/** Bytes no varint reader may accept: one that never ends, one of 9 bytes, one past 2^53 − 1. */
const badVarints = [[0x80], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]];

const TOKENS: Record<ColumnName, fc.Arbitrary<number[]>> = {
  tag: fc.constantFrom(...[0, 1, 2, 3, 5, 127, 128, 2 ** 31, 2 ** 53 - 1].map(varintBytes), ...badVarints),
  id: fc.constantFrom(...[0, 1, 2, 3, 100, 2 ** 32].map(varintBytes), ...badVarints),
  weight: fc.constantFrom(
    ...[0, 1, -1, 31, -32, 2 ** 48, -(2 ** 48), 2 ** 50].map(intCode),
    ...[NaN, Infinity, -Infinity, -0, 3.4e38, 1.5].map(f32),
    ...[NaN, Infinity, -Infinity, 1e300, 2 ** 53, 2 ** 53 + 2, -0, 5e-324].map(f64),
    [5], [7], [1, 0], [3, 0, 0, 0], ...badVarints,
  ),
  time: fc.constantFrom(
    ...[0, 1, -1, 2 ** 48, -(2 ** 50), 2 ** 50].map(intCode),
    ...[NaN, Infinity, -Infinity, 8.64e15, 8.64e15 + 2, -8.64e15 - 2, 1e17, -0, 0.5, 5e-324].map(f64),
    f32(1), [5], [3, 0, 0], ...badVarints,
  ),
};

export const columnarMutation: fc.Arbitrary<ColumnarMutation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom<ColumnName>('tag', 'id', 'weight', 'time').chain((column) => fc.record({
      kind: fc.constant('columnToken' as const), batch: fc.nat({ max: 3 }), column: fc.constant(column), nth: fc.nat({ max: 15 }),
      token: TOKENS[column], consistent: fc.boolean(),
    })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('dictionaryEntry' as const), batch: fc.nat({ max: 3 }), part: fc.constantFrom('ids' as const, 'types' as const), nth: fc.nat({ max: 15 }),
      value: fc.oneof(hostileString, hostileNumber, fc.constantFrom(-1, 0, 1, 5, 1000, 2 ** 32).map(int), hostileValue), consistent: fc.boolean(),
    }),
  },
);

/** Makes `m` in `wb` (a no-op when the batch is not a well-formed v3 one); the caller renumbers. */
export function mutateColumnar(wb: Workbench, m: ColumnarMutation): void {
  const b = wb.batches[m.batch % Math.max(wb.batches.length, 1)];
  if (!b || view(b.header).getUint16(4, true) !== 3 || b.payload.t !== 'arr' || b.payload.items.length !== 4) return;
  const parts = [...b.payload.items];
  if (m.kind === 'dictionaryEntry') {
    const index = m.part === 'ids' ? 0 : 1;
    const dict = parts[index]!;
    if (dict.t !== 'arr') return;
    const items = [...dict.items];
    if (items.length === 0) items.push(m.value);
    else items[m.nth % items.length] = m.value;
    parts[index] = { ...dict, items };
  } else {
    const bin = parts[3]!;
    if (bin.t !== 'bin') return;
    const tokens = tokenize(bin.bytes, view(b.header).getUint32(12, true));
    const list = tokens?.[m.column];
    if (!tokens || !list || list.length === 0) return;
    list[m.nth % list.length] = [...m.token];
    parts[3] = { t: 'bin', bytes: Uint8Array.from([...tokens.tag, ...tokens.id, ...tokens.weight, ...tokens.time].flat()) };
  }
  b.payload = { ...b.payload, items: parts };
}

type Tokens = Record<ColumnName, number[][]>;

/** The columns of a batch of `count` events, one byte run per value; null when they do not parse by the spec. */
function tokenize(bin: Uint8Array, count: number): Tokens | null {
  let at = 0;
  const varint = (): number[] => {
    const start = at;
    while (at < bin.length && bin[at]! >= 0x80) at++;
    if (at >= bin.length) throw new Error('cut');
    at++;
    return [...bin.subarray(start, at)];
  };
  const valueOf = (tok: number[]) => tok.reduce((v, b, i) => v + (b & 0x7f) * 128 ** i, 0);
  const withFloat = (floats: Record<number, number>) => (): number[] => {
    const tok = varint();
    const extra = floats[valueOf(tok)] ?? 0;
    const out = [...tok, ...bin.subarray(at, at + extra)];
    at += extra;
    if (at > bin.length) throw new Error('cut');
    return out;
  };
  try {
    if (count > 8192) return null;
    const tag = Array.from({ length: count }, varint);
    const signals = tag.filter((t) => valueOf(t) > 0).length;
    const id = Array.from({ length: signals }, varint);
    const weight = Array.from({ length: signals }, withFloat({ 1: 4, 3: 8 }));
    const time = Array.from({ length: signals }, withFloat({ 3: 8 }));
    return at === bin.length ? { tag, id, weight, time } : null;
  } catch {
    return null;
  }
}
