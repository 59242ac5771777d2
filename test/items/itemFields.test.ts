/**
 * Nothing gets a seqno unless the WAL can encode it and decode it back to
 * the same value: whatever checkItemFields accepts round-trips through the
 * event codec exactly, and whatever it refuses it refuses with a problem
 * naming the path, for any value fast-check can build.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkItemFields } from '../../src/items/itemFields.js';
import { decodeEvents, encodeEvents } from '../../src/wal/eventCodec.js';
import { TidalDb, TidalError } from '../../src/index.js';

function roundTrip(fields: Readonly<Record<string, unknown>>): unknown {
  const [decoded] = decodeEvents(encodeEvents([{ kind: 'item', seq: 1, id: 'x', text: null, fields }]));
  return (decoded as { fields: unknown }).fields;
}

describe('fields that pass the check decode back to exactly what the database holds', () => {
  it('any JSON object (fast-check jsonValue, unicode strings) is accepted and round-trips exactly (seeded)', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 6 })), (value) => {
      const checked = checkItemFields(value);
      if (!checked.ok) {
        // Only '__proto__' keys are refused among JSON values.
        expect(checked.problem).toMatch(/__proto__/);
        return;
      }
      expect(roundTrip(checked.fields)).toStrictEqual(checked.fields);
      expect(checked.fields).toStrictEqual(JSON.parse(JSON.stringify(value), (_k, v: unknown) => (Object.is(v, -0) ? 0 : v)));
    }), { seed: 20_261_204, numRuns: 2_000 });
  });

  it('anything at all (fast-check anything) is either refused with a problem naming fields, or round-trips exactly (seeded)', () => {
    fc.assert(fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true, withObjectString: true }), (value) => {
      const checked = checkItemFields(value);
      if (!checked.ok) return void expect(checked.problem).toMatch(/^fields/);
      expect(roundTrip(checked.fields)).toStrictEqual(checked.fields);
    }), { seed: 20_261_204, numRuns: 2_000 });
  });

  it('a refused value is InvalidInput from writeItem and nothing is written; an accepted one reads back the same on a follower', async () => {
    const leader = await TidalDb.open();
    await fc.assert(fc.asyncProperty(fc.anything({ withBigInt: true, withDate: true, withMap: true, maxDepth: 3 }), async (value) => {
      const before = leader.lastSeq;
      // null and undefined mean "no fields"; everything else is checked.
      const checked = value === null || value === undefined ? { ok: true } : checkItemFields(value);
      const write = leader.writeItem({ id: 'x', fields: value as Record<string, unknown> });
      if (!checked.ok) {
        await expect(write).rejects.toBeInstanceOf(TidalError);
        expect(leader.lastSeq).toBe(before);
      } else {
        expect(await write).toBe(before + 1);
      }
    }), { seed: 20_261_204, numRuns: 300 });
    await leader.wal.seal();
    const follower = await TidalDb.open({ role: 'follower' });
    for await (const p of leader.wal.sealedSegmentsSince(0)) await follower.applySegment(p);
    expect(follower.lastSeq).toBe(leader.lastSeq);
    expect(follower.getItem('x')).toStrictEqual(leader.getItem('x'));
  });
});
