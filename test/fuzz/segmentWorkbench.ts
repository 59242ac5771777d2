/**
 * A sealed segment opened up for editing: fixed header bytes, the meta and
 * every batch payload as msgpack trees (`Mp`; a v2 payload is an array of
 * event tuples, a v3 one the array [ids, types, items, columns (bin)]),
 * batch headers and footer as bytes. Mutations edit it; `build` writes it back with every checksum
 * recomputed (segmentParts.ts `assemble`).
 *
 * `renumber` makes an edited segment consistent again (v2 tuple seqnos
 * contiguous from the header's first seqno, each batch header's count and
 * seqnos, the footer's count and last seqno), so that only content checks
 * stand between a forgery and the follower's state.
 */
import { Packr } from 'msgpackr';
import { fromJs, int, type Mp, writeMsgpack } from './msgpackWriter.js';
import { assemble, parseSegmentParts, view } from './segmentParts.js';

/** Decodes as the WAL's own codecs do (src/wal/eventCodec.ts, segmentHeader.ts). */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export interface WorkBatch {
  header: Uint8Array;
  payload: Mp;
}

export interface Workbench {
  header: Uint8Array;
  meta: Mp;
  batches: WorkBatch[];
  /** First 24 footer bytes, or null to leave the footer out. */
  footer: Uint8Array | null;
}

export function openWorkbench(bytes: Uint8Array): Workbench {
  const parts = parseSegmentParts(bytes);
  return {
    header: Uint8Array.from(parts.header),
    meta: fromJs(packr.unpack(parts.meta)),
    batches: parts.batches.map((b) => ({ header: Uint8Array.from(b.header), payload: fromJs(packr.unpack(b.payload)) })),
    footer: parts.footer && Uint8Array.from(parts.footer),
  };
}

export function build(wb: Workbench, options: { fixLengths?: boolean } = {}): Uint8Array {
  return assemble({
    header: wb.header,
    meta: writeMsgpack(wb.meta),
    batches: wb.batches.map((b) => ({ header: b.header, payload: writeMsgpack(b.payload) })),
    footer: wb.footer,
  }, options);
}

/**
 * Rewrites seqnos and counts so the segment is consistent with its tuples
 * (those that are arrays) in v2 batches, and with the event count a v3
 * batch's header claims (its seqnos are implicit, so only they move).
 */
export function renumber(wb: Workbench): void {
  let seq = Number(view(wb.header).getBigUint64(24, true));
  let total = 0;
  for (const b of wb.batches) {
    const first = seq;
    const hv3 = view(b.header);
    if (hv3.getUint16(4, true) === 3) {
      const count = hv3.getUint32(12, true);
      seq += count;
      total += count;
      hv3.setBigUint64(16, BigInt(first), true);
      hv3.setBigUint64(24, BigInt(Math.max(seq - 1, 0)), true);
      continue;
    }
    const tuples = b.payload.t === 'arr' ? b.payload.items : [];
    if (b.payload.t === 'arr') {
      b.payload = { ...b.payload, items: tuples.map((t) => (t.t === 'arr' && t.items.length > 0 ? { ...t, items: [int(seq++), ...t.items.slice(1)] } : (seq++, t))) };
    }
    const hv = view(b.header);
    hv.setUint32(12, tuples.length, true);
    hv.setBigUint64(16, BigInt(first), true);
    hv.setBigUint64(24, BigInt(Math.max(seq - 1, 0)), true);
    total += tuples.length;
  }
  if (wb.footer) {
    const fv = view(wb.footer);
    fv.setUint32(4, total, true);
    fv.setBigUint64(8, BigInt(Math.max(seq - 1, 0)), true);
  }
}

/** Indexes (batch, tuple) of every tuple whose kind element is `kind` (1 signal, 2 item). */
export function tuplesOfKind(wb: Workbench, kind: 1 | 2): Array<readonly [number, number]> {
  const found: Array<readonly [number, number]> = [];
  wb.batches.forEach((b, bi) => {
    if (b.payload.t !== 'arr') return;
    b.payload.items.forEach((t, ti) => {
      const k = t.t === 'arr' ? t.items[1] : undefined;
      if (k?.t === 'int' && Number(k.v) === kind) found.push([bi, ti]);
    });
  });
  return found;
}

/** Replaces element `index` of tuple `ti` in batch `bi` (appends when past its end). */
export function setTupleElement(wb: Workbench, bi: number, ti: number, index: number, value: Mp): void {
  const b = wb.batches[bi]!;
  if (b.payload.t !== 'arr') return;
  const tuple = b.payload.items[ti];
  if (!tuple || tuple.t !== 'arr') return;
  const items = [...tuple.items];
  if (index < items.length) items[index] = value;
  else items.push(value);
  const tuples = [...b.payload.items];
  tuples[ti] = { ...tuple, items };
  b.payload = { ...b.payload, items: tuples };
}
