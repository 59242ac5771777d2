/**
 * Structure-aware mutations of real TCP frames (length prefix + msgpack
 * map), as printable descriptors, and `mutateFrame`, which makes the bytes.
 * Body mutations are re-framed with the true length, so the message
 * decoder is what they test; byte mutations and length lies test the frame
 * decoder.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { encodeFrame } from '../../streams/transports/frameCodec.js';
import { encodeMessage, type TcpMessage } from '../../streams/transports/tcpMessages.js';
import { hostileKey, hostileNumeric, hostileString, hostileValue } from './hostileValues.js';
import { editAt, type Edit, pathsOf } from './mpTreeEdit.js';
import { fromJs, type Mp, str, writeMsgpack } from './msgpackWriter.js';

/** Decodes as the transport does (tcpMessages.ts). */
const packr = new Packr({ useRecords: false, mapsAsObjects: true });
/** Large enough for any seed frame, so a mutation is never refused by the encoder. */
const ENCODE_LIMIT = 0xffff_ffff;

export type FrameMutation =
  | { readonly kind: 'none' }
  | { readonly kind: 'body'; readonly path: number; readonly edit: Edit }
  | { readonly kind: 'field'; readonly field: number; readonly value: Mp }
  | { readonly kind: 'tag'; readonly value: Mp }
  | { readonly kind: 'wholeBody'; readonly value: Mp }
  | { readonly kind: 'bytes'; readonly op: 'flip' | 'insert' | 'delete' | 'truncate'; readonly pos: number; readonly data: Uint8Array; readonly relength: boolean }
  | { readonly kind: 'length'; readonly value: number | 'minus1' | 'plus1' };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: hostileValue.map((value): Edit => ({ op: 'replace', value })) },
  { weight: 1, arbitrary: fc.constant<Edit>({ op: 'delete' }) },
  { weight: 1, arbitrary: fc.constant<Edit>({ op: 'duplicate' }) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(hostileKey, hostileString), hostileValue).map(([key, value]): Edit => ({ op: 'add', key, value })) },
);

/** Tags: the real ones (a valid tag on the wrong fields), and hostile values. */
const tag: fc.Arbitrary<Mp> = fc.oneof(
  fc.constantFrom('hello', 'welcome', 'refuse', 'segment', 'checkpoint', 'feedback', 'status', 'heartbeat', 'HELLO', 'record').map(str),
  hostileValue,
);

export const frameMutation: fc.Arbitrary<FrameMutation> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('body' as const), path: fc.nat({ max: 40 }), edit }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('field' as const), field: fc.nat({ max: 8 }), value: fc.oneof(hostileNumeric, hostileString, hostileValue) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tag' as const), value: tag }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wholeBody' as const), value: hostileValue }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('bytes' as const), op: fc.constantFrom('flip', 'insert', 'delete', 'truncate') as fc.Arbitrary<'flip'>,
      pos: fc.nat({ max: 1 << 20 }), data: fc.uint8Array({ minLength: 1, maxLength: 8 }), relength: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.constantFrom(0, 1, 65_536, 65_537, 64 * 1024 * 1024 + 1, 0xffff_ffff), fc.constantFrom('minus1' as const, 'plus1' as const)) }) },
);

/** The frame of `message` with `m` made. */
export function mutateFrame(message: TcpMessage, m: FrameMutation): Uint8Array {
  const frame = encodeMessage(message, ENCODE_LIMIT);
  if (m.kind === 'none') return frame;
  if (m.kind === 'bytes') return mutateBytes(frame, m);
  if (m.kind === 'length') {
    const out = Uint8Array.from(frame);
    const length = frame.length - 4;
    const value = m.value === 'minus1' ? length - 1 : m.value === 'plus1' ? length + 1 : m.value;
    new DataView(out.buffer).setUint32(0, value >>> 0, true);
    return out;
  }
  let body = fromJs(packr.unpack(frame.subarray(4)));
  if (m.kind === 'wholeBody') body = m.value;
  else if (m.kind === 'tag') body = setKey(body, 't', m.value);
  else if (m.kind === 'field') {
    const keys = body.t === 'map' ? body.entries.map(([k]) => k) : [];
    const key = keys[m.field % Math.max(keys.length, 1)];
    if (key) body = editAt(body, [{ i: m.field % keys.length, part: 'value' }], { op: 'replace', value: m.value });
  } else {
    const paths = pathsOf(body);
    body = editAt(body, paths[m.path % paths.length]!, m.edit);
  }
  return encodeFrame(writeMsgpack(body), ENCODE_LIMIT);
}

function setKey(body: Mp, key: string, value: Mp): Mp {
  if (body.t !== 'map') return body;
  const i = body.entries.findIndex(([k]) => k.t === 'str' && Buffer.from(k.bytes).toString() === key);
  return i < 0 ? body : editAt(body, [{ i, part: 'value' }], { op: 'replace', value });
}

function mutateBytes(frame: Uint8Array, m: Extract<FrameMutation, { kind: 'bytes' }>): Uint8Array {
  const at = m.pos % frame.length;
  let out: Uint8Array;
  if (m.op === 'flip') {
    out = Uint8Array.from(frame);
    out[at]! ^= m.data[0]! || 1;
  } else if (m.op === 'insert') out = Buffer.concat([frame.subarray(0, at), m.data, frame.subarray(at)]);
  else if (m.op === 'delete') out = Buffer.concat([frame.subarray(0, at), frame.subarray(Math.min(at + m.data.length, frame.length))]);
  else out = Uint8Array.prototype.slice.call(frame, 0, at);
  if (m.relength && out.length >= 4) new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(0, out.length - 4, true);
  return out;
}
