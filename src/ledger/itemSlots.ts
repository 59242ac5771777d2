/**
 * The ledger's intern table: each item id gets one integer slot, dense from
 * 0 in the order ids are first seen, shared by every signal type. Per
 * signal the ledger pays one Map lookup here and then indexes typed-array
 * columns (massColumns.ts) by the slot: no object per item and type, and
 * the top-k compares and tracks small integers rather than strings.
 *
 * Slots are never freed: the ledger keeps every mass it was given (a mass
 * decays towards 0 but stays), so an id's slot lives as long as the ledger.
 */
import assert from 'node:assert/strict';

/**
 * Slots are Int32Array entries (the insertion-order lists) and typed-array
 * indices: 2^31 - 1 ids is past any heap this process can hold (each id is
 * a string of 1+ bytes plus ~40 bytes of Map entry), so reaching it is a
 * broken invariant, not an operating error.
 */
export const MAX_ITEM_SLOTS = 2 ** 31 - 1;

export class ItemSlots {
  private readonly slotOfId = new Map<string, number>();
  private readonly ids: string[] = [];

  /** The slot of `id`, giving it the next one if it has none. */
  intern(id: string): number {
    const slot = this.slotOfId.get(id);
    if (slot !== undefined) return slot;
    const next = this.ids.length;
    // Not assert(cond, message): that builds the message on every new id.
    if (next >= MAX_ITEM_SLOTS) assert.fail(`item slots exhausted at ${next}`);
    this.slotOfId.set(id, next);
    this.ids.push(id);
    return next;
  }

  /** The slot of `id`, or -1 if it has none (does not intern). */
  find(id: string): number {
    return this.slotOfId.get(id) ?? -1;
  }

  /** The id that holds `slot` (a slot this table gave out). */
  idOf(slot: number): string {
    return this.ids[slot]!;
  }

  /** Slots given out: every slot is in 0..size-1. */
  get size(): number {
    return this.ids.length;
  }
}
