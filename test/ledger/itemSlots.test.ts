/**
 * The intern table: every item id the ledger has seen gets one integer
 * slot, dense from 0 in first-seen order, shared by every signal type.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ItemSlots } from '../../src/ledger/itemSlots.js';

describe('ItemSlots', () => {
  it('gives each new id the next slot, and a seen id its own slot again', () => {
    const slots = new ItemSlots();
    expect(slots.intern('a')).toBe(0);
    expect(slots.intern('b')).toBe(1);
    expect(slots.intern('a')).toBe(0);
    expect(slots.intern('c')).toBe(2);
    expect(slots.size).toBe(3);
    expect([0, 1, 2].map((s) => slots.idOf(s))).toEqual(['a', 'b', 'c']);
  });

  it('find does not intern: an unseen id is -1 and stays unseen', () => {
    const slots = new ItemSlots();
    slots.intern('a');
    expect(slots.find('a')).toBe(0);
    expect(slots.find('zz')).toBe(-1);
    expect(slots.size).toBe(1);
  });

  it('any string is data: object-key names, the empty string and lookalikes are distinct ids', () => {
    const slots = new ItemSlots();
    const ids = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', '0', '00', 'a\u0301', '\u00e1'];
    ids.forEach((id, i) => expect(slots.intern(id)).toBe(i));
    ids.forEach((id, i) => expect(slots.find(id)).toBe(i));
  });

  it('slots are dense, stable and round-trip through idOf for any sequence of ids (seeded)', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 300 }), (ids) => {
      const slots = new ItemSlots();
      const firstSeen: string[] = [];
      for (const id of ids) {
        if (!firstSeen.includes(id)) firstSeen.push(id);
        expect(slots.intern(id)).toBe(firstSeen.indexOf(id));
      }
      expect(slots.size).toBe(firstSeen.length);
      firstSeen.forEach((id, slot) => {
        expect(slots.idOf(slot)).toBe(id);
        expect(slots.find(id)).toBe(slot);
      });
    }), { seed: 9, numRuns: 200 });
  });
});
