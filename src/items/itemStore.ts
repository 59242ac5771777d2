import { TextIndex } from './textIndex.js';

/** An item as stored: its searchable text and opaque fields. */
export interface Item {
  readonly id: string;
  readonly text: string | null;
  readonly fields: Readonly<Record<string, unknown>> | null;
}

/** Items by id, with their text indexed for search. */
export class ItemStore {
  private readonly items = new Map<string, Item>();
  readonly text = new TextIndex();

  put(item: Item): void {
    this.items.set(item.id, item);
    this.text.set(item.id, item.text);
  }

  get(id: string): Item | undefined {
    return this.items.get(id);
  }

  get size(): number {
    return this.items.size;
  }

  all(): IterableIterator<Item> {
    return this.items.values();
  }
}
