/**
 * Real bytes for the fuzzers to mutate, written by the real write path: an
 * in-memory leader on a hand-stepped clock writes items (text, nested
 * fields) and signals (three types, two half-lives, negative and fractional
 * weights) in several commit groups, seals three segments, and writes a
 * checkpoint. Small on purpose (a few hundred bytes a segment), so
 * truncating at every offset stays cheap.
 */
import { TidalDb, type WalSegmentPayload } from '../../src/index.js';

/** 2024-01-01T00:00:00Z. */
export const T0_MS = 1_704_067_200_000;
export const HALF_LIFE_OPTION = { '*': 3_600_000, like: 600_000 } as const;
export const REGION_ID = 'fuzz-region';

export interface RealLog {
  /** Three sealed segments, seqnos contiguous: segment i + 1 starts where segment i ends. */
  readonly segments: readonly WalSegmentPayload[];
  /** The leader's checkpoint after all three, and its seqno. */
  readonly checkpoint: { readonly seq: number; readonly bytes: Uint8Array };
  /** Every item id and signal type written, and times to read scores at: what observing a state probes. */
  readonly itemIds: readonly string[];
  readonly types: readonly string[];
  readonly times: readonly number[];
}

export async function buildRealLog(): Promise<RealLog> {
  let nowMs = T0_MS;
  const db = await TidalDb.open({ clock: () => nowMs, regionId: REGION_ID, halfLifeMs: HALF_LIFE_OPTION });
  try {
    const segments: WalSegmentPayload[] = [];
    const seal = async () => {
      const sealed = await db.wal.seal();
      if (!sealed) throw new Error('realLog: seal() sealed nothing');
      segments.push({ ...sealed, bytes: Uint8Array.from(sealed.bytes) }); // a copy the fuzzers cannot disturb
    };
    await db.writeItem({ id: 'a', text: 'tidal wave report', fields: { lang: 'en', tags: ['sea', 'wind'], n: 7, nested: { ok: true, ratio: 0.25 } } });
    await db.writeItem({ id: 'b', text: 'second item' });
    await db.signal({ itemId: 'a', type: 'view', weight: 1, at: T0_MS });
    await db.flush();
    nowMs += 1000;
    await db.signal({ itemId: 'b', type: 'like', weight: 2.5, at: T0_MS - 600_000 });
    await db.signal({ itemId: 'a', type: 'view', weight: -0.5, at: T0_MS - 3_600_000 });
    await seal();
    nowMs += 1000;
    await db.writeItem({ id: 'c', fields: { price: 12.5, sold: null } });
    await db.signal({ itemId: 'c', type: 'share', weight: 3, at: T0_MS + 500 });
    await db.flush();
    await db.signal({ itemId: 'a', type: 'like', weight: 1, at: T0_MS + 1500 });
    await db.writeItem({ id: 'b', text: 'second item, edited', fields: { v: 2 } });
    await seal();
    nowMs += 1000;
    await db.signal({ itemId: 'b', type: 'view', weight: 0.125, at: T0_MS + 2500 });
    await db.signal({ itemId: 'c', type: 'view', weight: 4, at: T0_MS + 2600 });
    await seal();
    await db.checkpoint();
    const checkpoint = await db.latestCheckpoint();
    if (!checkpoint) throw new Error('realLog: no checkpoint written');
    return {
      segments,
      checkpoint,
      itemIds: ['a', 'b', 'c'],
      types: ['view', 'like', 'share'],
      times: [T0_MS, T0_MS + 7_200_000],
    };
  } finally {
    await db.close();
  }
}
