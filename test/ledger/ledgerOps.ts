/**
 * Random operation sequences over a signal ledger, for the property tests
 * that compare the typed-array ledger with the reference model: single
 * adds (mostly to a few popular items, some to a long tail), bulk adds to
 * runs of new items (so the columns grow well past their initial
 * capacity), many types with their own half-lives, negative and zero
 * weights, and times spread over hundreds of half-lives.
 */
import fc from 'fast-check';

export const TYPES = ['view', 'like', 'share', '__proto__', 'constructor', 't5', 't6', 't7'] as const;
const HALF_LIVES_MS = [3_600_000, 60_000, 86_400_000, 1, 7_777, 1_000, 123_456_789, 2];
export const halfLifeOf = (type: string): number => HALF_LIVES_MS[TYPES.indexOf(type as (typeof TYPES)[number])] ?? 5_000;

export const BASE_MS = 1_700_000_000_000;
/** Enough ids that bulk adds pass any initial capacity (1,024 slots) several times over. */
export const ITEM_POOL = 6_000;
export const idOf = (i: number): string => `item-${i}`;

export type LedgerOp =
  | { readonly kind: 'add'; readonly item: number; readonly type: string; readonly weight: number; readonly at: number }
  | { readonly kind: 'bulk'; readonly from: number; readonly count: number; readonly type: string; readonly weight: number; readonly at: number }
  | { readonly kind: 'best'; readonly type: string; readonly limit: number; readonly at: number }
  | { readonly kind: 'score'; readonly items: readonly number[]; readonly type: string; readonly at: number };

const type = fc.constantFrom(...TYPES);
const weight = fc.oneof(
  fc.constantFrom(1, -1, 0, 2, 0.5),
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.double({ min: -1e12, max: 1e12, noNaN: true }),
);
/** Times within ±400 hours of BASE_MS, in whole and fractional ms. */
const at = fc.oneof(
  fc.integer({ min: -400, max: 400 }).map((h) => BASE_MS + h * 3_600_000),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((ms) => BASE_MS + ms),
  fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((ms) => BASE_MS + ms),
);
const popularItem = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: ITEM_POOL - 1 }));

export const ledgerOp: fc.Arbitrary<LedgerOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('add' as const), item: popularItem, type, weight, at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bulk' as const), from: fc.integer({ min: 0, max: ITEM_POOL - 1 }), count: fc.integer({ min: 1, max: 1_500 }), type, weight, at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('best' as const), type, limit: fc.integer({ min: 1, max: 60 }), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('score' as const), items: fc.array(popularItem, { minLength: 1, maxLength: 5 }), type, at }) },
);

/** The signals of an add or bulk op, as [item id, type, weight, at]. */
export function signalsOf(op: LedgerOp): Array<readonly [string, string, number, number]> {
  if (op.kind === 'add') return [[idOf(op.item), op.type, op.weight, op.at]];
  if (op.kind !== 'bulk') return [];
  return Array.from({ length: Math.min(op.count, ITEM_POOL - op.from) }, (_, i) => [idOf(op.from + i), op.type, op.weight, op.at] as const);
}
