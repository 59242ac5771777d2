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
import { timeAfterAdd, valueAfterAdd } from './decay.js';

/** Slots a type's columns start with: 16 KB, small beside a Map of 1,024 objects. */
export const INITIAL_SLOTS = 1024;

export class MassColumns {
  private values: Float64Array;
  private times: Float64Array;
  private order: Int32Array;
  private held = 0;

  constructor(initialSlots = INITIAL_SLOTS) {
    this.values = new Float64Array(initialSlots);
    this.times = new Float64Array(initialSlots).fill(NaN);
    this.order = new Int32Array(initialSlots);
  }

  /** Adds `weight` at `atMs` to `slot`'s mass (a first signal sets it), with valueAfterAdd's arithmetic. */
  add(slot: number, weight: number, atMs: number, halfLifeMs: number): void {
    if (slot >= this.values.length) this.grow(slot);
    const valueAtMs = this.times[slot]!;
    if (valueAtMs !== valueAtMs) {
      this.values[slot] = weight;
      this.times[slot] = atMs;
      this.remember(slot);
      return;
    }
    this.values[slot] = valueAfterAdd(this.values[slot]!, valueAtMs, weight, atMs, halfLifeMs);
    this.times[slot] = timeAfterAdd(valueAtMs, atMs);
  }

  /** True when `slot` holds a mass of this type. */
  has(slot: number): boolean {
    const atMs = this.times[slot];
    return atMs !== undefined && atMs === atMs;
  }

  /** `slot`'s value (a slot that `has` a mass). */
  valueOf(slot: number): number {
    return this.values[slot]!;
  }

  /** The time `slot`'s value is as of, in ms (a slot that `has` a mass). */
  atMsOf(slot: number): number {
    return this.times[slot]!;
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
    return this.values.length;
  }

  private remember(slot: number): void {
    if (this.held === this.order.length) {
      const order = new Int32Array(Math.max(1, this.order.length * 2));
      order.set(this.order);
      this.order = order;
    }
    this.order[this.held++] = slot;
  }

  /** Doubles the columns until `slot` fits; the new room holds no mass (NaN times). */
  private grow(slot: number): void {
    let capacity = Math.max(1, this.values.length);
    while (capacity <= slot) capacity *= 2;
    const values = new Float64Array(capacity);
    const times = new Float64Array(capacity).fill(NaN, this.times.length);
    values.set(this.values);
    times.set(this.times);
    this.values = values;
    this.times = times;
  }
}
