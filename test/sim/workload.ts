/**
 * The simulated clients' writes: a handful of items and signal types, so
 * every check can read every (item, type) pair, with legal values only (the
 * simulation is about faults of disk, network and process, not bad input;
 * the fuzzers attack input).
 */
import type { ItemInput, SignalInput } from '../../src/index.js';

export const ITEM_IDS = ['a', 'b', 'c', 'd', 'é-e', 'f 6'] as const;
/** 'share' has no half-life of its own: it takes the default. */
export const SIGNAL_TYPES = ['view', 'like', 'share'] as const;
export const HALF_LIFE_MS = { view: 3_600_000, like: 7_200_000, '*': 86_400_000 } as const;

export function halfLifeOf(type: string): number {
  return type === 'view' ? HALF_LIFE_MS.view : type === 'like' ? HALF_LIFE_MS.like : HALF_LIFE_MS['*'];
}

const WORDS = ['river', 'quiet', 'night', 'tide', 'signal', 'écho', 'river'];

/** A write as the reference log keeps it: the input with every default made explicit. */
export type RefEvent =
  | { readonly kind: 'signal'; readonly itemId: string; readonly type: string; readonly weight: number; readonly at: number }
  | { readonly kind: 'item'; readonly id: string; readonly text: string | null; readonly fields: Readonly<Record<string, unknown>> | null };

/** One random write at virtual time `nowMs`: mostly signals (some negative), now and then an item. */
export function randomWrite(random: () => number, nowMs: number): RefEvent {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  if (random() < 0.85) {
    const weight = random() < 0.1 ? -1 : 1 + Math.floor(random() * 4);
    return { kind: 'signal', itemId: pick(ITEM_IDS), type: pick(SIGNAL_TYPES), weight, at: nowMs - Math.floor(random() * 600_000) };
  }
  const text = random() < 0.2 ? null : `${pick(WORDS)} ${pick(WORDS)}`;
  const fields = random() < 0.3 ? null : { n: Math.floor(random() * 100), tags: [pick(WORDS)], nested: { ok: random() < 0.5 } };
  return { kind: 'item', id: pick(ITEM_IDS), text, fields };
}

export function signalInput(e: Extract<RefEvent, { kind: 'signal' }>): SignalInput {
  return { itemId: e.itemId, type: e.type, weight: e.weight, at: e.at };
}

export function itemInput(e: Extract<RefEvent, { kind: 'item' }>): ItemInput {
  return { id: e.id, text: e.text, fields: e.fields === null ? null : structuredClone(e.fields) as Record<string, unknown> };
}
