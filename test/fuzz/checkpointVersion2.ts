/**
 * A version 2 checkpoint, written by hand from docs/wal-format.md (readers
 * still accept version 2): a second real shape for the checkpoint fuzzers
 * to mutate, beside the version the leader writes now. Its content matches
 * the real log (realLog.ts) at its last seqno.
 *
 *   { region, halfLives: { defaultMs, byType: { type: ms } },
 *     ledger: { type: { halfLifeMs, refMs, masses: [[id, mass]] } },
 *     items: [[id, text | nil, fields | nil]], epoch }
 */
import { f64, fromJs, int, map, type Mp, str, writeMsgpack } from './msgpackWriter.js';
import { assembleCheckpoint } from './checkpointParts.js';
import { REGION_ID, T0_MS } from './realLog.js';

export function checkpointVersion2(seq: number): Uint8Array {
  const ledger = (halfLifeMs: number, masses: Array<[string, number]>): Mp => map([
    [str('halfLifeMs'), int(halfLifeMs)], [str('refMs'), f64(T0_MS)], [str('masses'), fromJs(masses)],
  ]);
  const body: Mp = {
    t: 'map',
    width: '16',
    entries: [
      [str('region'), str(REGION_ID)],
      [str('halfLives'), map([[str('defaultMs'), int(3_600_000)], [str('byType'), map([[str('like'), int(600_000)]])]])],
      [str('ledger'), map([
        [str('view'), ledger(3_600_000, [['a', 0.75], ['b', 0.125], ['c', 4]])],
        [str('like'), ledger(600_000, [['b', 1.25], ['a', 1]])],
        [str('share'), ledger(3_600_000, [['c', 3]])],
      ])],
      [str('items'), fromJs([
        ['a', 'tidal wave report', { lang: 'en', tags: ['sea', 'wind'], n: 7, nested: { ok: true, ratio: 0.25 } }],
        ['b', 'second item, edited', { v: 2 }],
        ['c', null, { price: 12.5, sold: null }],
      ])],
      [str('epoch'), int(0)],
    ],
  };
  const fields = new Uint8Array(24);
  const v = new DataView(fields.buffer);
  fields.set([0x54, 0x44, 0x43, 0x4b]); // TDCK
  v.setUint16(4, 2, true);
  v.setBigUint64(16, BigInt(seq), true);
  return assembleCheckpoint({ fields, body: writeMsgpack(body) });
}

