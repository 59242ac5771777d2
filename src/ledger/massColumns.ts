/**
 * One signal type's decayed masses (decay.ts), in two Float64Array columns
 * indexed by item slot (itemSlots.ts): `value` and the time `atMs` it is as
 * of. A slot holds no mass of this type while its atMs is NaN (a legal
 * time is always a finite number), so presence costs no third column.
 *
 * Memory, per type: 16 bytes per slot up to the highest slot it holds,
 * rounded up to a power of two (doubling), plus 4 bytes per item it holds
 * for the insertion order. 100k items in one type: 2 MB + 0.4 MB, where a
 * Map of { value, atMs } objects held ~9.6 MB of heap (profileReplay.ts).
 * A type whose few items have high slots pays for the whole range: T types
 * over S interned items cost at most T * 32 * S bytes.
 *
 * The insertion order (the order slots first got a mass of this type) is
 * kept because a checkpoint lists masses in it: the bytes must not depend
 * on how slots happen to be numbered.
 */
import { addToMassAt } from './decay.js';

/** Slots a type's columns start with: 16 KB, small beside a Map of 1,024 objects. */
export const INITIAL_SLOTS = 1024;

export class MassColumns {
  private valueColumn: Float64Array;
  private timeColumn: Float64Array;
  private order: Int32Array;
  private held = 0;

  constructor(initialSlots = INITIAL_SLOTS) {
    this.valueColumn = new Float64Array(initialSlots);
    this.timeColumn = new Float64Array(initialSlots).fill(NaN);
    this.order = new Int32Array(initialSlots);
  }

  /** Adds `weight` at `atMs` to `slot`'s mass (a first signal sets it), with addToMassAt's arithmetic. */
  add(slot: number, weight: number, atMs: number, halfLifeMs: number): void {
    if (slot >= this.valueColumn.length) this.grow(slot);
    if (this.has(slot)) addToMassAt(this.valueColumn, this.timeColumn, slot, weight, atMs, halfLifeMs);
    else this.first(slot, weight, atMs);
  }

  /** True when `slot` holds a mass of this type. */
  has(slot: number): boolean {
    const atMs = this.timeColumn[slot];
    return atMs !== undefined && atMs === atMs;
  }

  /** `slot`'s value (a slot that `has` a mass). */
  valueOf(slot: number): number {
    return this.valueColumn[slot]!;
  }

  /** The time `slot`'s value is as of, in ms (a slot that `has` a mass). */
  atMsOf(slot: number): number {
    return this.timeColumn[slot]!;
  }

  /**
   * The value column, indexed by slot, for decay.ts functions that read a
   * mass in place (rankKeyAt). Replaced when the columns grow: read it for
   * each use, never keep it. Meaningful only where `has(slot)`.
   */
  get values(): Float64Array {
    return this.valueColumn;
  }

  /** The time column (ms; NaN where no mass), indexed by slot: as `values`. */
  get times(): Float64Array {
    return this.timeColumn;
  }

  /** Slots holding a mass. */
  get count(): number {
    return this.held;
  }

  /** The `i`-th slot to get a mass, 0 <= i < count. */
  slotAt(i: number): number {
    return this.order[i]!;
  }

  /** Slots the columns have room for without growing. */
  get capacity(): number {
    return this.valueColumn.length;
  }

  /** A slot's first signal: its value and time as given, and its place in the order. */
  private first(slot: number, weight: number, atMs: number): void {
    this.valueColumn[slot] = weight;
    this.timeColumn[slot] = atMs;
    if (this.held === this.order.length) {
      const order = new Int32Array(Math.max(1, this.order.length * 2));
      order.set(this.order);
      this.order = order;
    }
    this.order[this.held++] = slot;
  }

  /** Doubles the columns until `slot` fits; the new room holds no mass (NaN times). */
  private grow(slot: number): void {
    let capacity = Math.max(1, this.valueColumn.length);
    while (capacity <= slot) capacity *= 2;
    const values = new Float64Array(capacity);
    const times = new Float64Array(capacity).fill(NaN, this.timeColumn.length);
    values.set(this.valueColumn);
    times.set(this.timeColumn);
    this.valueColumn = values;
    this.timeColumn = times;
  }
}
