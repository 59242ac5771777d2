/**
 * The demo's data: items with made-up titles and a skewed, seeded stream of
 * 'view' and 'like' signals on fixed timestamps, so every run ranks the same
 * items with the same scores (only the timings differ).
 */
import { type ItemInput, type SignalInput, TidalError } from '../../src/index.js';
import { seededRandom } from '../seededRandom.js';

/** 2025-01-01T00:00:00Z: the first signal's timestamp. */
export const DEMO_T0_MS = Date.UTC(2025, 0, 1);

/** One hour: signals are spread evenly over it, one view half-life. */
export const DEMO_SPAN_MS = 3_600_000;

/** When the demo's queries decay scores to: the end of the signal span. */
export const DEMO_QUERY_AT_MS = DEMO_T0_MS + DEMO_SPAN_MS;

/** 15 %: share of signals that are 'like' (the rest are 'view'). */
const LIKE_SHARE = 0.15;

/** 7919 is prime, so `rank * 7919 mod n` is a permutation of 0..n-1 for any item count n it does not divide: popular ranks land on scattered ids. */
const SHUFFLE_PRIME = 7919;

const ADJECTIVES = ['Quiet', 'Electric', 'Golden', 'Northern', 'Hidden', 'Midnight', 'Paper', 'Velvet', 'Silver', 'Wild'];
const NOUNS = ['River', 'Harbor', 'Garden', 'Engine', 'Lantern', 'Orchard', 'Signal', 'Meadow', 'Atlas', 'Comet'];
const KINDS = ['Sessions', 'Diaries', 'Notes', 'Live', 'Stories'];

export interface DemoWorkload {
  readonly items: readonly ItemInput[];
  readonly signals: readonly SignalInput[];
}

/**
 * Builds `items` items (ids `item-0000`…, titles such as "Quiet River
 * Sessions") and `signals` signals over {@link DEMO_SPAN_MS} from
 * {@link DEMO_T0_MS}: item popularity is skewed (a few items get most of the
 * signals), 15 % are likes. Pure and deterministic.
 *
 * @example
 * const { items, signals } = demoWorkload(500, 10_000);
 * // items[0] = { id: 'item-0000', text: 'Quiet River Sessions' }
 * @param items number of items, >= 1
 * @param signals number of signals, >= 0
 */
export function demoWorkload(items: number, signals: number): DemoWorkload {
  if (!Number.isInteger(items) || items < 1) throw new TidalError('InvalidInput', `items must be an integer >= 1, got ${items}`);
  if (!Number.isInteger(signals) || signals < 0) throw new TidalError('InvalidInput', `signals must be an integer >= 0, got ${signals}`);
  const itemList: ItemInput[] = [];
  for (let i = 0; i < items; i++) itemList.push({ id: itemId(i), text: title(i) });
  const random = seededRandom(0x71da1);
  const shuffle = items % SHUFFLE_PRIME === 0 ? 1 : SHUFFLE_PRIME;
  const stepMs = signals > 0 ? DEMO_SPAN_MS / signals : 0;
  const signalList: SignalInput[] = [];
  for (let i = 0; i < signals; i++) {
    // u^3 puts most of the mass near 0: a long-tailed popularity curve.
    const rank = Math.floor(items * random() ** 3);
    const type = random() < LIKE_SHARE ? 'like' : 'view';
    signalList.push({ itemId: itemId((rank * shuffle) % items), type, at: DEMO_T0_MS + Math.round(i * stepMs) });
  }
  return { items: itemList, signals: signalList };
}

function itemId(i: number): string {
  return `item-${String(i).padStart(4, '0')}`;
}

/** Distinct for the first 500 items (10 × 10 × 5 words), then repeating. */
function title(i: number): string {
  const adjective = ADJECTIVES[i % ADJECTIVES.length]!;
  const noun = NOUNS[Math.floor(i / ADJECTIVES.length) % NOUNS.length]!;
  const kind = KINDS[Math.floor(i / (ADJECTIVES.length * NOUNS.length)) % KINDS.length]!;
  return `${adjective} ${noun} ${kind}`;
}

