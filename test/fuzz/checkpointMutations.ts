/**
 * Structure-aware mutations of real checkpoints, as printable descriptors,
 * and `mutateCheckpoint`, which makes the bytes with the checksum
 * recomputed (unless told not to). The body is edited as a msgpack tree
 * without knowing its schema (any node, any numeric leaf, any string leaf),
 * so the fuzzer keeps working when the body's version changes.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { assembleCheckpoint, parseCheckpointParts, recomputeCheckpointChecksum } from './checkpointParts.js';
import { hostileNumeric, hostileString, hostileValue } from './hostileValues.js';
import { editAt, type Edit, nodeAt, pathsOf } from './mpTreeEdit.js';
import { fromJs, type Mp, writeMsgpack } from './msgpackWriter.js';
import { copyRange, view } from './segmentParts.js';

const packr = new Packr({ useRecords: false });

export type CheckpointMutation =
  | { readonly kind: 'flip'; readonly flips: ReadonlyArray<{ readonly pos: number; readonly bit: number }>; readonly recompute: boolean }
  | { readonly kind: 'splice'; readonly pos: number; readonly remove: number; readonly insert: Uint8Array; readonly recompute: boolean; readonly fixLength: boolean }
  | { readonly kind: 'truncate'; readonly pos: number; readonly recompute: boolean }
  | { readonly kind: 'headerField'; readonly at: 0 | 4 | 6 | 8 | 12 | 16; readonly value: bigint; readonly fixLength: boolean }
  /** Replace/delete/duplicate/add at the `path`-th node of the body. */
  | { readonly kind: 'body'; readonly path: number; readonly edit: Edit }
  /** A hostile number at the `path`-th numeric leaf of the body. */
  | { readonly kind: 'number'; readonly path: number; readonly value: Mp }
  /** A hostile string at the `path`-th string node (key or value) of the body. */
  | { readonly kind: 'string'; readonly path: number; readonly value: Mp }
  | { readonly kind: 'wholeBody'; readonly value: Mp };

const pos = fc.nat({ max: 1 << 20 });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: hostileValue.map((value): Edit => ({ op: 'replace', value })) },
  { weight: 1, arbitrary: fc.constant<Edit>({ op: 'delete' }) },
  { weight: 1, arbitrary: fc.constant<Edit>({ op: 'duplicate' }) },
  { weight: 1, arbitrary: fc.tuple(hostileString, hostileValue).map(([key, value]): Edit => ({ op: 'add', key, value })) },
);

export const checkpointMutation: fc.Arbitrary<CheckpointMutation> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.record({ pos, bit: fc.nat({ max: 7 }) }), { minLength: 1, maxLength: 4 }), recompute: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), pos, remove: fc.nat({ max: 8 }), insert: fc.uint8Array({ maxLength: 8 }), recompute: fc.boolean(), fixLength: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pos, recompute: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('headerField' as const),
      at: fc.constantFrom<0 | 4 | 6 | 8 | 12 | 16>(0, 4, 6, 8, 12, 16),
      value: fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n, 4n, 5n, 6n, 12n, 13n, 14n, 0xffffn, 0xffffffffn, 2n ** 53n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 20n })),
      fixLength: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('body' as const), path: fc.nat({ max: 200 }), edit }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('number' as const), path: fc.nat({ max: 200 }), value: hostileNumeric }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('string' as const), path: fc.nat({ max: 200 }), value: hostileString }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wholeBody' as const), value: hostileValue }) },
);

/** `bytes` with `m` made, the checksum recomputed (for byte-level mutations, only when `recompute`). */
export function mutateCheckpoint(bytes: Uint8Array, m: CheckpointMutation): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      const out = Uint8Array.from(bytes);
      for (const f of m.flips) out[f.pos % out.length]! ^= 1 << f.bit;
      return m.recompute ? recomputeCheckpointChecksum(out) : out;
    }
    case 'splice': {
      const at = m.pos % (bytes.length + 1);
      const out = new Uint8Array(Buffer.concat([bytes.subarray(0, at), m.insert, bytes.subarray(Math.min(at + m.remove, bytes.length))]));
      if (m.fixLength && out.length >= 16) view(out).setUint32(12, Math.max(out.length - 56, 0), true);
      return m.recompute ? recomputeCheckpointChecksum(out) : out;
    }
    case 'truncate': {
      const out = copyRange(bytes, 0, m.pos % bytes.length);
      return m.recompute ? recomputeCheckpointChecksum(out) : out;
    }
    case 'headerField': {
      const parts = parseCheckpointParts(bytes);
      const v = view(parts.fields);
      if (m.at === 0) v.setUint32(0, Number(m.value & 0xffffffffn), false);
      else if (m.at === 4 || m.at === 6) v.setUint16(m.at, Number(m.value & 0xffffn), true);
      else if (m.at === 8 || m.at === 12) v.setUint32(m.at, Number(m.value & 0xffffffffn), true);
      else v.setBigUint64(16, m.value, true);
      return assembleCheckpoint(parts, { fixLength: m.fixLength || m.at !== 12 });
    }
    default:
      return mutateBody(bytes, m);
  }
}

function mutateBody(bytes: Uint8Array, m: CheckpointMutation): Uint8Array {
  const parts = parseCheckpointParts(bytes);
  let body = fromJs(packr.unpack(parts.body));
  if (m.kind === 'wholeBody') body = m.value;
  else if (m.kind === 'body') {
    const paths = pathsOf(body);
    body = editAt(body, paths[m.path % paths.length]!, m.edit);
  } else if (m.kind === 'number' || m.kind === 'string') {
    const want = m.kind === 'number' ? ['int', 'f64', 'f32'] : ['str'];
    const paths = pathsOf(body).filter((p) => want.includes(nodeAt(body, p)?.t ?? ''));
    if (paths.length > 0) body = editAt(body, paths[m.path % paths.length]!, { op: 'replace', value: m.value });
  }
  return assembleCheckpoint({ fields: parts.fields, body: writeMsgpack(body) });
}
