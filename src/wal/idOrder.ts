/**
 * The ascending order of the item ids a leader has interned, kept across
 * batches, so the v3 encoder can build a batch's sorted id dictionary
 * (frontCodedIds.ts) without sorting strings every time.
 *
 * Why: the leader's write path queues ~7,700 signals a batch (everything
 * written before the next flush), ~4,000 distinct ids over 5,000 items.
 * Sorting those strings was the encoder's largest cost, 176 ms per 1M
 * signals of ~1,050 ms (profiled, `profileSignalBatch.js 1000000 5000`).
 * With the order kept, a batch sorts integers (each id's rank) instead, and
 * strings are compared only for ids interned since the order was last
 * extended.
 *
 * The ids are the ledger's own slots (itemSlots.ts), read through
 * `InternedIds`: dense from 0, never freed, so "slot < ranked" says whether
 * an id has a rank. Ids interned since then are sorted by string and merged
 * in; once they number a quarter of the ranked ones, they are merged into
 * the order for good (amortised: each id is merged O(1) times on average).
 * Memory: four Int32Arrays of one entry per slot (16 bytes an id), bounded
 * by the ledger's own slots.
 *
 * The result is only ever a speed-up: the dictionary and indices it gives
 * are exactly those of sorting the batch's ids (a property test holds the
 * bytes equal), and when an id has no slot (a WAL with no ledger behind it),
 * it gives null and the encoder sorts as before.
 */

/** What IdOrder reads of the ledger's intern table (ItemSlots offers it). */
export interface InternedIds {
  /** The slot of `id`, or -1 if it has none. */
  find(id: string): number;
  /** The id that holds `slot`. */
  idOf(slot: number): string;
  /** Slots given out: every slot is in 0..size-1. */
  readonly size: number;
}

/** New ids are merged into the order once they number this many, or a quarter of the ranked ones if more. */
const MIN_MERGE_IDS = 256;

export class IdOrder {
  private table: InternedIds | null = null;
  /** Slots 0..ranked-1 have a rank; rankOfSlot and slotOfRank are inverse permutations of them. */
  private ranked = 0;
  private rankOfSlot = new Int32Array(0);
  private slotOfRank = new Int32Array(0);
  /** Per slot: the batch number that last saw it, and its place in that batch's dictionary. */
  private seenIn = new Int32Array(0);
  private placeOf = new Int32Array(0);
  private batchNo = 0;

  /** @param tableOf the intern table to follow now (read per batch: a checkpoint install replaces it), or null */
  constructor(private readonly tableOf: () => InternedIds | null) {}

  /**
   * The ascending dictionary of `itemIds[0..count)` (repeats allowed), and
   * in `indexOut[i]` the dictionary index of `itemIds[i]`; null when an id
   * has no slot, and then nothing is written to `indexOut`.
   */
  dictionary(itemIds: readonly string[], count: number, indexOut: Uint32Array): string[] | null {
    const table = this.follow();
    if (table === null) return null;
    const batch = this.nextBatch();
    const slots = new Int32Array(count);
    const distinct: number[] = [];
    for (let i = 0; i < count; i++) {
      const slot = table.find(itemIds[i]!);
      if (slot < 0) return null;
      slots[i] = slot;
      if (this.seenIn[slot] !== batch) {
        this.seenIn[slot] = batch;
        distinct.push(slot);
      }
    }
    if (table.size - this.ranked >= Math.max(MIN_MERGE_IDS, this.ranked >> 2)) this.mergeNewIds(table);
    const ordered = this.sortSlots(table, distinct);
    const sorted = new Array<string>(ordered.length);
    for (let p = 0; p < ordered.length; p++) {
      this.placeOf[ordered[p]!] = p;
      sorted[p] = table.idOf(ordered[p]!);
    }
    for (let i = 0; i < count; i++) indexOut[i] = this.placeOf[slots[i]!]!;
    return sorted;
  }

  /** The table to use now; a different (or shrunk) table starts the order afresh. */
  private follow(): InternedIds | null {
    const table = this.tableOf();
    if (table !== this.table || (table !== null && table.size < this.ranked)) {
      this.table = table;
      this.ranked = 0;
      this.rankOfSlot = new Int32Array(0);
      this.slotOfRank = new Int32Array(0);
    }
    if (table !== null && this.seenIn.length < table.size) this.growScratch(table.size);
    return table;
  }

  private nextBatch(): number {
    if (this.batchNo === 0x7fffffff) {
      this.seenIn.fill(0);
      this.batchNo = 0;
    }
    return ++this.batchNo;
  }

  private growScratch(size: number): void {
    const capacity = Math.max(size, this.seenIn.length * 2, 1024);
    const seenIn = new Int32Array(capacity);
    seenIn.set(this.seenIn);
    this.seenIn = seenIn;
    this.placeOf = new Int32Array(capacity);
  }

  /** `slots` (distinct) in ascending order of their ids: ranked ones by rank, the rest by string, merged. */
  private sortSlots(table: InternedIds, slots: readonly number[]): number[] {
    const ranks: number[] = [];
    const fresh: number[] = [];
    for (const slot of slots) {
      if (slot < this.ranked) ranks.push(this.rankOfSlot[slot]!);
      else fresh.push(slot);
    }
    const byRank = Int32Array.from(ranks).sort();
    const ranked = new Array<number>(byRank.length);
    for (let k = 0; k < byRank.length; k++) ranked[k] = this.slotOfRank[byRank[k]!]!;
    if (fresh.length === 0) return ranked;
    return mergeById(table, ranked, sortById(table, fresh));
  }

  /** Gives every slot the table holds a rank: the new ones sorted, then merged with the ranked ones. */
  private mergeNewIds(table: InternedIds): void {
    const fresh: number[] = [];
    for (let slot = this.ranked; slot < table.size; slot++) fresh.push(slot);
    const all = mergeById(table, Array.from(this.slotOfRank.subarray(0, this.ranked)), sortById(table, fresh));
    this.slotOfRank = Int32Array.from(all);
    this.rankOfSlot = new Int32Array(all.length);
    for (let rank = 0; rank < all.length; rank++) this.rankOfSlot[all[rank]!] = rank;
    this.ranked = all.length;
  }
}

/** `slots` sorted by their ids, in UTF-16 code unit order (as Array.prototype.sort orders strings). */
function sortById(table: InternedIds, slots: number[]): number[] {
  return slots.sort((a, b) => {
    const x = table.idOf(a);
    const y = table.idOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Two runs of slots, each ascending by id, as one. */
function mergeById(table: InternedIds, a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = table.idOf(a[i]!) < table.idOf(b[j]!) ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
