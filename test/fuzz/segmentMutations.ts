/**
 * Structure-aware mutations of real sealed segments, as printable
 * descriptors (so fast-check reports a failing case as data), and
 * `mutateSegment`, which makes the bytes with every checksum recomputed.
 *
 * Byte level: flips in a chosen region, inserts, deletes, overwrites,
 * truncations. Structure level: lies in the header's fixed fields and meta,
 * in batch headers and the footer; dropped, repeated and swapped batches;
 * batches spliced from two segments; hostile event tuples (v2) and hostile
 * column values and dictionary entries (v3, columnarMutations.ts). A structure
 * mutation marked `consistent` is renumbered afterwards (seqnos, counts),
 * so nothing but the content checks can refuse it.
 */
import fc from 'fast-check';
import { type ColumnarMutation, columnarMutation, mutateColumnar } from './columnarMutations.js';
import { hostileFields, hostileKey, hostileNumber, hostileNumeric, hostileString, hostileValue, oversizeText } from './hostileValues.js';
import { editAt, type Edit, nodeAt, pathsOf } from './mpTreeEdit.js';
import { f64, int, type Mp, str } from './msgpackWriter.js';
import { recomputeChecksums } from './recomputeChecksums.js';
import { copyRange, regionsOf, view } from './segmentParts.js';
import { build, openWorkbench, renumber, setTupleElement, tuplesOfKind, type Workbench } from './segmentWorkbench.js';

export type Region = 'anywhere' | 'header' | 'meta' | 'batchHeader' | 'payload' | 'footer';

/** A fixed-width field: where (in the header, a batch header or the footer), its width and the value written. */
export interface FieldLie {
  readonly at: number;
  readonly width: 'u16' | 'u32' | 'u64' | 'f64' | 'magic';
  readonly value: number | bigint;
}

export type SegmentMutation =
  | { readonly kind: 'flip'; readonly region: Region; readonly flips: ReadonlyArray<{ readonly pos: number; readonly bit: number }>; readonly recompute: boolean }
  | { readonly kind: 'insert'; readonly region: Region; readonly pos: number; readonly bytes: Uint8Array; readonly recompute: boolean }
  | { readonly kind: 'delete'; readonly region: Region; readonly pos: number; readonly count: number; readonly recompute: boolean }
  | { readonly kind: 'overwrite'; readonly region: Region; readonly pos: number; readonly bytes: Uint8Array; readonly recompute: boolean }
  | { readonly kind: 'truncate'; readonly pos: number; readonly recompute: boolean }
  | { readonly kind: 'headerField'; readonly lie: FieldLie; readonly fixLengths: boolean }
  | { readonly kind: 'batchHeaderField'; readonly batch: number; readonly lie: FieldLie; readonly fixLengths: boolean }
  | { readonly kind: 'footerField'; readonly lie: FieldLie }
  | { readonly kind: 'dropFooter' }
  | { readonly kind: 'meta'; readonly path: number; readonly edit: Edit }
  /** A hostile value at the `path`-th numeric leaf of the meta (a half-life, the epoch). */
  | { readonly kind: 'metaNumber'; readonly path: number; readonly value: Mp }
  | { readonly kind: 'batches'; readonly op: 'drop' | 'duplicate' | 'swap' | 'reverse'; readonly batch: number; readonly consistent: boolean }
  | { readonly kind: 'splice'; readonly other: number; readonly picks: ReadonlyArray<{ readonly fromOther: boolean; readonly batch: number }>; readonly consistent: boolean }
  | { readonly kind: 'signalField'; readonly nth: number; readonly field: 'seq' | 'kind' | 'itemId' | 'type' | 'weight' | 'at'; readonly value: Mp; readonly consistent: boolean }
  | { readonly kind: 'itemField'; readonly nth: number; readonly field: 'seq' | 'kind' | 'id' | 'text' | 'fields'; readonly value: Mp; readonly consistent: boolean }
  | { readonly kind: 'tupleShape'; readonly batch: number; readonly tuple: number; readonly path: number; readonly edit: Edit; readonly consistent: boolean }
  | { readonly kind: 'payload'; readonly batch: number; readonly value: Mp; readonly consistent: boolean }
  /** v3 batches: a hostile column value or dictionary entry (columnarMutations.ts). */
  | ColumnarMutation;

const region = fc.constantFrom<Region>('anywhere', 'header', 'meta', 'batchHeader', 'payload', 'footer');
const pos = fc.nat({ max: 1 << 20 });

const u64Lie = fc.oneof(
  fc.constantFrom(0n, 1n, 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 64n }),
);
const u32Lie = fc.oneof(fc.constantFrom(0, 1, 2, 0xffff, 0x10000, 0x10001, 0xffffffff), fc.nat({ max: 64 }));
const f64Lie = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 1e300), fc.double());
const magicLie = fc.constantFrom(0x54445753, 0x54445742, 0x54445746, 0x54444b43, 0).map((v) => v);

/** Lies in the segment header's fixed fields (offsets from the spec). */
const headerLie: fc.Arbitrary<FieldLie> = fc.oneof(
  magicLie.map((value): FieldLie => ({ at: 0, width: 'magic', value })),
  fc.constantFrom(0, 2, 0xffff).map((value): FieldLie => ({ at: 4, width: 'u16', value })),
  fc.constantFrom(1, 0xffff).map((value): FieldLie => ({ at: 6, width: 'u16', value })),
  u32Lie.map((value): FieldLie => ({ at: 8, width: 'u32', value })),
  u32Lie.map((value): FieldLie => ({ at: 12, width: 'u32', value })),
  u64Lie.map((value): FieldLie => ({ at: 16, width: 'u64', value })),
  u64Lie.map((value): FieldLie => ({ at: 24, width: 'u64', value })),
  f64Lie.map((value): FieldLie => ({ at: 32, width: 'f64', value })),
);

/** Lies in a batch header's fields (offsets from the spec; 44..75 is the checksum, always recomputed). */
const batchHeaderLie: fc.Arbitrary<FieldLie> = fc.oneof(
  magicLie.map((value): FieldLie => ({ at: 0, width: 'magic', value })),
  fc.constantFrom(0, 1, 3, 0xffff).map((value): FieldLie => ({ at: 4, width: 'u16', value })),
  fc.constantFrom(1, 0xffff).map((value): FieldLie => ({ at: 6, width: 'u16', value })),
  u32Lie.map((value): FieldLie => ({ at: 8, width: 'u32', value })),
  u32Lie.map((value): FieldLie => ({ at: 12, width: 'u32', value })),
  u64Lie.map((value): FieldLie => ({ at: 16, width: 'u64', value })),
  u64Lie.map((value): FieldLie => ({ at: 24, width: 'u64', value })),
  f64Lie.map((value): FieldLie => ({ at: 32, width: 'f64', value })),
  u32Lie.map((value): FieldLie => ({ at: 40, width: 'u32', value })),
);

const footerLie: fc.Arbitrary<FieldLie> = fc.oneof(
  magicLie.map((value): FieldLie => ({ at: 0, width: 'magic', value })),
  u32Lie.map((value): FieldLie => ({ at: 4, width: 'u32', value })),
  u64Lie.map((value): FieldLie => ({ at: 8, width: 'u64', value })),
  f64Lie.map((value): FieldLie => ({ at: 16, width: 'f64', value })),
);

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: hostileValue.map((value): Edit => ({ op: 'replace', value })) },
  { weight: 1, arbitrary: fc.constant<Edit>({ op: 'delete' }) },
  { weight: 1, arbitrary: fc.constant<Edit>({ op: 'duplicate' }) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(hostileKey, hostileString), hostileValue).map(([key, value]): Edit => ({ op: 'add', key, value })) },
);

/** Numbers a meta half-life or epoch could be given, hostile and plausible. */
const metaNumber: fc.Arbitrary<Mp> = fc.oneof(hostileNumeric, fc.constantFrom<Mp>(int(1), int(600_000), f64(0.5), str('600000'), { t: 'nil' }));

const signalValueOf = (field: string): fc.Arbitrary<Mp> => {
  if (field === 'weight' || field === 'at') return fc.oneof({ weight: 3, arbitrary: hostileNumeric }, { weight: 1, arbitrary: hostileValue });
  if (field === 'itemId' || field === 'type') return fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: hostileValue });
  return fc.oneof(hostileNumber, fc.constantFrom<Mp>(int(0), int(3), str('1'), { t: 'nil' }));
};
const itemValueOf = (field: string): fc.Arbitrary<Mp> => {
  if (field === 'id') return fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: hostileValue });
  if (field === 'text') return fc.oneof({ weight: 3, arbitrary: hostileValue }, { weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: fc.constant(oversizeText) });
  if (field === 'fields') return hostileFields;
  return fc.oneof(hostileNumber, fc.constantFrom<Mp>(int(1), int(3), str('2'), { t: 'nil' }));
};

/** Built once per field, not per case. */
const SIGNAL_VALUES = new Map(['seq', 'kind', 'itemId', 'type', 'weight', 'at'].map((f) => [f, signalValueOf(f)]));
const ITEM_VALUES = new Map(['seq', 'kind', 'id', 'text', 'fields'].map((f) => [f, itemValueOf(f)]));
const signalValue = (field: string) => SIGNAL_VALUES.get(field)!;
const itemValue = (field: string) => ITEM_VALUES.get(field)!;

/** Every mutation, weighted toward the ones that get past structure into content. */
export const segmentMutation: fc.Arbitrary<SegmentMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), region, flips: fc.array(fc.record({ pos, bit: fc.nat({ max: 7 }) }), { minLength: 1, maxLength: 4 }), recompute: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), region, pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }), recompute: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), region, pos, count: fc.integer({ min: 1, max: 16 }), recompute: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), region, pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }), recompute: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pos, recompute: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('headerField' as const), lie: headerLie, fixLengths: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batchHeaderField' as const), batch: fc.nat({ max: 3 }), lie: batchHeaderLie, fixLengths: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('footerField' as const), lie: footerLie }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dropFooter' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('meta' as const),
      path: fc.nat({ max: 20 }),
      edit: fc.oneof(edit, metaNumber.map((value): Edit => ({ op: 'replace', value }))),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('metaNumber' as const), path: fc.nat({ max: 8 }), value: metaNumber }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('batches' as const), op: fc.constantFrom('drop', 'duplicate', 'swap', 'reverse') as fc.Arbitrary<'drop' | 'duplicate' | 'swap' | 'reverse'>, batch: fc.nat({ max: 3 }), consistent: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('splice' as const), other: fc.nat({ max: 2 }),
      picks: fc.array(fc.record({ fromOther: fc.boolean(), batch: fc.nat({ max: 3 }) }), { minLength: 1, maxLength: 4 }),
      consistent: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.constantFrom('seq', 'kind', 'itemId', 'type', 'weight', 'at').chain((field) =>
      fc.record({ kind: fc.constant('signalField' as const), nth: fc.nat({ max: 7 }), field: fc.constant(field as 'seq'), value: signalValue(field), consistent: fc.boolean() })),
  },
  {
    weight: 5,
    arbitrary: fc.constantFrom('seq', 'kind', 'id', 'text', 'fields').chain((field) =>
      fc.record({ kind: fc.constant('itemField' as const), nth: fc.nat({ max: 7 }), field: fc.constant(field as 'seq'), value: itemValue(field), consistent: fc.boolean() })),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tupleShape' as const), batch: fc.nat({ max: 3 }), tuple: fc.nat({ max: 7 }), path: fc.nat({ max: 12 }), edit, consistent: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('payload' as const), batch: fc.nat({ max: 3 }), value: hostileValue, consistent: fc.boolean() }) },
  { weight: 8, arbitrary: columnarMutation },
);

/** The bytes of `segments[target]` with `m` made, every checksum inside recomputed (unless `recompute` is false). */
export function mutateSegment(segments: readonly Uint8Array[], target: number, m: SegmentMutation): Uint8Array {
  const bytes = segments[target]!;
  switch (m.kind) {
    case 'flip': {
      const out = Uint8Array.from(bytes);
      for (const f of m.flips) out[offsetIn(bytes, m.region, f.pos)]! ^= 1 << f.bit;
      return m.recompute ? recomputeChecksums(out) : out;
    }
    case 'insert': {
      const at = offsetIn(bytes, m.region, m.pos, true);
      const out = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
      return m.recompute ? recomputeChecksums(out) : out;
    }
    case 'delete': {
      const at = offsetIn(bytes, m.region, m.pos);
      const out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(at + m.count, bytes.length))]);
      return m.recompute ? recomputeChecksums(out) : out;
    }
    case 'overwrite': {
      const at = offsetIn(bytes, m.region, m.pos);
      const out = Uint8Array.from(bytes);
      out.set(m.bytes.subarray(0, out.length - at), at);
      return m.recompute ? recomputeChecksums(out) : out;
    }
    case 'truncate': {
      const out = copyRange(bytes, 0, m.pos % bytes.length);
      return m.recompute ? recomputeChecksums(out) : out;
    }
    default:
      return mutateStructure(segments, target, m);
  }
}

function mutateStructure(segments: readonly Uint8Array[], target: number, m: SegmentMutation): Uint8Array {
  const wb = openWorkbench(segments[target]!);
  let fixLengths = true;
  let consistent = false;
  switch (m.kind) {
    case 'headerField':
      writeLie(wb.header, m.lie);
      fixLengths = m.fixLengths || m.lie.at !== 12;
      break;
    case 'batchHeaderField': {
      const b = wb.batches[m.batch % wb.batches.length]!;
      writeLie(b.header, m.lie);
      fixLengths = m.fixLengths || m.lie.at !== 40;
      break;
    }
    case 'footerField':
      if (wb.footer) writeLie(wb.footer, m.lie);
      break;
    case 'dropFooter':
      wb.footer = null;
      break;
    case 'meta': {
      const paths = pathsOf(wb.meta);
      wb.meta = editAt(wb.meta, paths[m.path % paths.length]!, m.edit);
      break;
    }
    case 'metaNumber': {
      const paths = pathsOf(wb.meta).filter((p) => ['int', 'f64', 'f32'].includes(nodeAt(wb.meta, p)?.t ?? ''));
      if (paths.length > 0) wb.meta = editAt(wb.meta, paths[m.path % paths.length]!, { op: 'replace', value: m.value });
      break;
    }
    case 'batches':
      editBatches(wb, m.op, m.batch);
      consistent = m.consistent;
      break;
    case 'splice': {
      const other = openWorkbench(segments[m.other % segments.length]!);
      wb.batches = m.picks.map((p) => {
        const from = p.fromOther ? other : wb;
        const b = from.batches[p.batch % from.batches.length]!;
        return { header: Uint8Array.from(b.header), payload: b.payload };
      });
      consistent = m.consistent;
      break;
    }
    case 'signalField':
    case 'itemField': {
      const found = tuplesOfKind(wb, m.kind === 'signalField' ? 1 : 2);
      const at = found[m.nth % Math.max(found.length, 1)];
      const index = (m.kind === 'signalField' ? SIGNAL_INDEX : ITEM_INDEX)[m.field]!;
      if (at) setTupleElement(wb, at[0], at[1], index, m.value);
      consistent = m.consistent && m.field !== 'seq';
      break;
    }
    case 'tupleShape': {
      const b = wb.batches[m.batch % wb.batches.length]!;
      if (b.payload.t === 'arr' && b.payload.items.length > 0) {
        const ti = m.tuple % b.payload.items.length;
        const paths = pathsOf(b.payload).filter((p) => p.length >= 1 && p[0]!.i === ti);
        b.payload = editAt(b.payload, paths[m.path % paths.length]!, m.edit);
      }
      consistent = m.consistent;
      break;
    }
    case 'payload':
      wb.batches[m.batch % wb.batches.length]!.payload = m.value;
      consistent = m.consistent;
      break;
    case 'columnToken':
    case 'dictionaryEntry':
      mutateColumnar(wb, m);
      consistent = m.consistent;
      break;
    default:
      throw new Error(`mutateStructure: ${m.kind} is a byte-level mutation`);
  }
  if (consistent) renumber(wb);
  return build(wb, { fixLengths });
}

const SIGNAL_INDEX: Record<string, number> = { seq: 0, kind: 1, itemId: 2, type: 3, weight: 4, at: 5 };
const ITEM_INDEX: Record<string, number> = { seq: 0, kind: 1, id: 2, text: 3, fields: 4 };

function editBatches(wb: Workbench, op: 'drop' | 'duplicate' | 'swap' | 'reverse', batch: number): void {
  const i = batch % wb.batches.length;
  const copy = (b: Workbench['batches'][number]) => ({ header: Uint8Array.from(b.header), payload: b.payload });
  if (op === 'drop') wb.batches.splice(i, 1);
  else if (op === 'duplicate') wb.batches.splice(i, 0, copy(wb.batches[i]!));
  else if (op === 'reverse') wb.batches.reverse();
  else if (wb.batches.length > 1) {
    const j = (i + 1) % wb.batches.length;
    [wb.batches[i], wb.batches[j]] = [wb.batches[j]!, wb.batches[i]!];
  }
}

function writeLie(bytes: Uint8Array, lie: FieldLie): void {
  const v = view(bytes);
  if (lie.width === 'magic') v.setUint32(lie.at, Number(lie.value), false);
  else if (lie.width === 'u16') v.setUint16(lie.at, Number(lie.value), true);
  else if (lie.width === 'u32') v.setUint32(lie.at, Number(lie.value), true);
  else if (lie.width === 'u64') v.setBigUint64(lie.at, BigInt(lie.value), true);
  else v.setFloat64(lie.at, Number(lie.value), true);
}

/**
 * The byte range [from, to) that `pos` picks in `region` of a sealed
 * segment: for batch headers and payloads, `pos` chooses the batch too.
 */
function rangeOf(bytes: Uint8Array, r: Region, pos: number): readonly [number, number] {
  const regions = regionsOf(bytes);
  const pick = (ranges: ReadonlyArray<readonly [number, number]>) => ranges[pos % Math.max(ranges.length, 1)] ?? [0, 0] as const;
  const range = r === 'anywhere' ? [0, bytes.length] as const
    : r === 'header' ? regions.header
      : r === 'meta' ? regions.meta
        : r === 'footer' ? regions.footer
          : r === 'batchHeader' ? pick(regions.batchHeaders)
            : pick(regions.payloads);
  return range[1] > range[0] ? range : [0, bytes.length];
}

/** An offset in [from, to) of the region, chosen by `pos` (and `end` inclusive when inserting). */
function offsetIn(bytes: Uint8Array, r: Region, pos: number, inclusiveEnd = false): number {
  const [from, to] = rangeOf(bytes, r, pos);
  return from + (Math.floor(pos / 7) % (to - from + (inclusiveEnd ? 1 : 0)));
}
