/**
 * Issue 7's data-loss defects, one describe per defect, each reproduced as
 * the issue states it: bad input is refused on its own with a typed error,
 * never fails other writes, never poisons the log, and what is applied on a
 * follower is exactly what a leader could have written.
 */
import { describe, expect, it } from 'vitest';
import { Checksum, TidalDb, TidalError, WalError, type WalSegmentPayload } from '../../src/index.js';
import { forgeSegment, FORGED_AT_MS } from './forgeSegment.js';
import { tempDir } from './tempDirs.js';

const T0 = 1_700_000_000_000;
const HOUR_MS = 3_600_000;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

function expectTyped(err: Error, type: typeof TidalError | typeof WalError, code: string, mentions?: string | RegExp): void {
  expect(err).toBeInstanceOf(type);
  expect((err as TidalError).code).toBe(code);
  if (mentions !== undefined) expect(err.message).toMatch(mentions);
}

/** Every segment a leader holds, applied to a fresh in-memory follower: what replication would deliver. */
async function replicate(leader: TidalDb): Promise<TidalDb> {
  await leader.wal.seal();
  const follower = await TidalDb.open({ role: 'follower', clock: () => T0 });
  for await (const p of leader.wal.sealedSegmentsSince(0)) await follower.applySegment(p);
  return follower;
}

describe('defect 1: one bad item is refused on its own and never stops other writes or the log', () => {
  const cyclic = () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    return o;
  };
  const bad: Array<[string, () => Record<string, unknown>]> = [
    ['a cycle', cyclic],
    ['a BigInt', () => ({ n: 10n })],
    ['a Symbol', () => ({ s: Symbol('x') })],
    ['a function', () => ({ f: () => 1 })],
    ['undefined', () => ({ u: undefined })],
    ['NaN', () => ({ n: Number.NaN })],
    ['a Date', () => ({ d: new Date(0) })],
    ['a sparse array', () => ({ a: [1, , 3] })],
    ['a key "__proto__"', () => JSON.parse('{"__proto__": 1}') as Record<string, unknown>],
    ['a lone surrogate', () => ({ s: 'x\ud800' })],
    ['nesting 40 deep', () => JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) as Record<string, unknown>],
  ];
  for (const [what, fields] of bad) {
    it(`fields with ${what}: writeItem is InvalidInput naming fields; the signals around it are durable and replicate`, async () => {
      const dir = tempDir('bad-item');
      const db = await TidalDb.open({ dir, clock: () => T0 });
      const a = db.signal({ itemId: 'a', type: 'view', at: T0 });
      const item = rejection(db.writeItem({ id: 'x', fields: fields() }));
      const b = db.signal({ itemId: 'b', type: 'view', at: T0 });
      expect(await a).toBe(1);
      expectTyped(await item, TidalError, 'InvalidInput', /fields/);
      expect(await b).toBe(2);
      expect(db.lastSeq).toBe(2);
      expect(await db.signal({ itemId: 'c', type: 'view', at: T0 })).toBe(3);
      const follower = await replicate(db);
      expect(follower.lastSeq).toBe(3);
      await db.close();
      const reopened = await TidalDb.open({ dir, clock: () => T0 });
      expect(reopened.lastSeq).toBe(3);
      expect(['a', 'b', 'c'].map((id) => reopened.readDecayScore(id, 'view', T0))).toEqual([1, 1, 1]);
      expect(reopened.getItem('x')).toBeUndefined();
      await reopened.close();
    });
  }

  it('valid fields are stored as a frozen copy: changing the caller\'s object later changes nothing', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    const fields = { tags: ['a'], nested: { n: 1 }, neg: -0 };
    await db.writeItem({ id: 'x', fields });
    fields.tags.push('b');
    fields.nested.n = 2;
    const stored = db.getItem('x')!.fields as { tags: string[]; nested: { n: number }; neg: number };
    expect(stored).toEqual({ tags: ['a'], nested: { n: 1 }, neg: 0 });
    expect(Object.is(stored.neg, 0)).toBe(true);
    expect(() => stored.tags.push('c')).toThrow(TypeError);
    const follower = await replicate(db);
    expect(follower.getItem('x')).toEqual(db.getItem('x'));
  });
});

describe('defect 2: time cannot break the ledger', () => {
  it('a signal 1100 half-lives after another leaves the first one\'s score exact, and the later one finite', async () => {
    let now = T0;
    const db = await TidalDb.open({ halfLifeMs: HOUR_MS, clock: () => now });
    await db.signal({ itemId: 'a', type: 'view', at: T0 });
    now = T0 + 1100 * HOUR_MS;
    await db.signal({ itemId: 'b', type: 'view', at: now });
    expect(db.readDecayScore('a', 'view', T0)).toBe(1);
    expect(db.readDecayScore('b', 'view', now)).toBe(1);
    const atT0 = db.retrieve({ signal: 'view', at: T0 });
    expect(atT0.map((r) => r.id)).toEqual(['b', 'a']);
    expect(atT0.every((r) => Number.isFinite(r.score))).toBe(true);
    expect(db.retrieve({ signal: 'view', at: now })).toEqual([{ id: 'b', score: 1 }, { id: 'a', score: 0 }]);
  });

  it('a signal more than maxFutureMs (default one hour) ahead of the clock is InvalidInput naming at, and changes nothing', async () => {
    const db = await TidalDb.open({ halfLifeMs: HOUR_MS, clock: () => T0 });
    await db.signal({ itemId: 'a', type: 'view', at: T0 });
    expectTyped(await rejection(db.signal({ itemId: 'b', type: 'view', at: T0 + 1100 * HOUR_MS })), TidalError, 'InvalidInput', /at .*maxFutureMs/);
    expectTyped(await rejection(db.signal({ itemId: 'b', type: 'view', at: T0 * 1000 })), TidalError, 'InvalidInput', /maxFutureMs/);
    expectTyped(await rejection(db.signal({ itemId: 'b', type: 'view', at: -1e16 })), TidalError, 'InvalidInput', /legal range/);
    expect(await db.signal({ itemId: 'b', type: 'view', at: T0 + HOUR_MS })).toBe(2);
    expect(db.readDecayScore('a', 'view', T0)).toBe(1);
  });

  it('maxFutureMs is an option: 0 refuses any future at, and a bad value is InvalidInput', async () => {
    const db = await TidalDb.open({ clock: () => T0, maxFutureMs: 0 });
    expectTyped(await rejection(db.signal({ itemId: 'a', type: 'view', at: T0 + 1 })), TidalError, 'InvalidInput', /maxFutureMs = 0/);
    expect(await db.signal({ itemId: 'a', type: 'view', at: T0 })).toBe(1);
    expectTyped(await rejection(TidalDb.open({ maxFutureMs: -1 })), TidalError, 'InvalidInput', /maxFutureMs/);
  });
});

describe('defect 3: signal types are data, never object keys', () => {
  for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    it(`type ${JSON.stringify(type)} scores like any other, with its own half-life, on a leader, a follower and after reopen`, async () => {
      const dir = tempDir('types');
      const halfLifeMs = JSON.parse(`{"${type}": 60000, "*": 3600000}`) as Record<string, number>;
      const db = await TidalDb.open({ dir, halfLifeMs, clock: () => T0 });
      await db.signal({ itemId: 'a', type, weight: 2, at: T0 - 60_000 });
      expect(db.readDecayScore('a', type, T0)).toBe(1);
      expect(db.retrieve({ signal: type, at: T0 })).toEqual([{ id: 'a', score: 1 }]);
      const follower = await replicate(db);
      expect(follower.readDecayScore('a', type, T0)).toBe(1);
      await db.checkpoint();
      await db.close();
      const reopened = await TidalDb.open({ dir, clock: () => T0 });
      expect(reopened.readDecayScore('a', type, T0)).toBe(1);
      await reopened.close();
    });
  }
});

describe('defect 4: strings must be well-formed Unicode or they get InvalidInput', () => {
  const cases: Array<[string, (db: TidalDb) => Promise<number>, RegExp]> = [
    ['an item id', (db) => db.signal({ itemId: 'x\ud800', type: 'view' }), /itemId .*well-formed/],
    ['a type', (db) => db.signal({ itemId: 'x', type: '\udc00view' }), /type .*well-formed/],
    ['an item', (db) => db.writeItem({ id: 'x\ud800' }), /id .*well-formed/],
    ['a text', (db) => db.writeItem({ id: 'x', text: 'a\ud800b' }), /text .*well-formed/],
  ];
  for (const [what, write, message] of cases) {
    it(`${what} with a lone surrogate is refused and nothing is written`, async () => {
      const db = await TidalDb.open({ clock: () => T0 });
      expectTyped(await rejection(write(db)), TidalError, 'InvalidInput', message);
      expect(db.lastSeq).toBe(0);
      expect(db.wal.unsealedEvents).toBe(0);
    });
  }

  it('well-formed astral characters (surrogate pairs) are accepted and read back the same after reopen', async () => {
    const dir = tempDir('astral');
    const db = await TidalDb.open({ dir, clock: () => T0 });
    await db.signal({ itemId: 'song-🎵', type: 'view', at: T0 });
    await db.close();
    const reopened = await TidalDb.open({ dir, clock: () => T0 });
    expect(reopened.readDecayScore('song-🎵', 'view', T0)).toBe(1);
    await reopened.close();
  });
});

describe('defect 5: applySegment checks the payload\'s fields against its bytes', () => {
  async function sealed(): Promise<WalSegmentPayload> {
    const db = await TidalDb.open({ clock: () => T0 });
    await db.signal({ itemId: 'a', type: 'view', at: T0 });
    await db.signal({ itemId: 'b', type: 'view', at: T0 });
    return (await db.wal.seal())!;
  }
  const lies: Array<[string, (p: WalSegmentPayload) => WalSegmentPayload]> = [
    ['segmentId', (p) => ({ ...p, segmentId: p.segmentId + 7 })],
    ['lastSeq', (p) => ({ ...p, lastSeq: p.lastSeq + 5 })],
    ['firstSeq', (p) => ({ ...p, firstSeq: 0 })],
    ['sealedAtMs', (p) => ({ ...p, sealedAtMs: p.sealedAtMs + 1 })],
    ['shardId', (p) => ({ ...p, shardId: 9 })],
  ];
  for (const [field, lie] of lies) {
    for (const where of ['memory', 'file'] as const) {
      it(`a payload lying about ${field} is Corruption naming it, and nothing is stored or applied (${where} follower)`, async () => {
        const dir = where === 'file' ? tempDir('lie') : undefined;
        const follower = await TidalDb.open({ dir, role: 'follower' });
        const payload = await sealed();
        expectTyped(await rejection(follower.applySegment(lie(payload))), WalError, 'Corruption', new RegExp(field));
        expect(follower.lastSeq).toBe(0);
        expect(follower.wal.sealedSegments).toHaveLength(0);
        await follower.applySegment(payload);
        expect(follower.lastSeq).toBe(2);
        await follower.close();
        if (dir) {
          const reopened = await TidalDb.open({ dir, role: 'follower' });
          expect(reopened.lastSeq).toBe(2);
          await reopened.close();
        }
      });
    }
  }
});

describe('defect 6: the decoder checks content, not only structure (every checksum recomputed)', () => {
  const signal = (over: Partial<Record<number, unknown>>) => {
    const t: unknown[] = [1, 1, 'a', 'view', 1, FORGED_AT_MS];
    for (const [i, v] of Object.entries(over)) t[Number(i)] = v;
    return t;
  };
  const forged: Array<[string, () => WalSegmentPayload, RegExp]> = [
    ['a NaN weight', () => forgeSegment({ tuples: [signal({ 4: Number.NaN })] }), /weight/],
    ['an Infinity weight', () => forgeSegment({ tuples: [signal({ 4: Infinity })] }), /weight/],
    ['a -Infinity at', () => forgeSegment({ tuples: [signal({ 5: -Infinity })] }), /at/],
    ['an at beyond the legal range', () => forgeSegment({ tuples: [signal({ 5: 1e17 })] }), /legal range/],
    // (No lone surrogate can arrive this way: msgpackr decodes invalid UTF-8, a surrogate's CESU bytes included, as U+FFFD.)
    ['an empty type', () => forgeSegment({ tuples: [signal({ 3: '' })] }), /type/],
    ['non-string item text', () => forgeSegment({ tuples: [[1, 2, 'x', 42, null]] }), /text/],
    ['fields that are an array', () => forgeSegment({ tuples: [[1, 2, 'x', null, [1]]] }), /fields/],
    ['a seqno that is not an integer', () => forgeSegment({ tuples: [[1.5, 1, 'a', 'view', 1, FORGED_AT_MS]] }), /seqno/],
    ['header meta with a null region', () => forgeSegment({ tuples: [signal({})], meta: { r: null, h: { d: 3_600_000, t: {} }, e: 0 } }), /region/],
    ['header meta with a null half-life table', () => forgeSegment({ tuples: [signal({})], meta: { r: 'x', h: null, e: 0 } }), /half-lives/],
    ['a NaN default half-life', () => forgeSegment({ tuples: [signal({})], meta: { r: 'x', h: { d: Number.NaN, t: {} }, e: 0 } }), /halfLifeMs/],
    ['a negative half-life for a type', () => forgeSegment({ tuples: [signal({})], meta: { r: 'x', h: { d: 1000, t: { view: -5 } }, e: 0 } }), /halfLifeMs\["view"\]/],
    ['an epoch of -1', () => forgeSegment({ tuples: [signal({})], meta: { r: 'x', h: { d: 1000, t: {} }, e: -1 } }), /epoch/],
  ];
  for (const [what, forge, message] of forged) {
    for (const where of ['memory', 'file'] as const) {
      it(`${what}: Corruption, nothing stored or applied, half-lives not adopted (${where} follower without halfLifeMs)`, async () => {
        const dir = where === 'file' ? tempDir('forged') : undefined;
        const follower = await TidalDb.open({ dir, role: 'follower' });
        const err = await rejection(follower.applySegment(forge()));
        expectTyped(err, WalError, 'Corruption', message);
        expect(follower.lastSeq).toBe(0);
        expect(follower.wal.sealedSegments).toHaveLength(0);
        // Had it adopted the forged half-lives, an honest segment recording one hour would now be ConfigMismatch.
        await follower.applySegment(forgeSegment({ tuples: [signal({})] }));
        expect(follower.lastSeq).toBe(1);
        expect(follower.readDecayScore('a', 'view', FORGED_AT_MS + 3_600_000)).toBe(0.5);
        await follower.close();
      });
    }
  }

  it('a forged segment that is well-formed in every value is accepted: the checks refuse only what a leader could not write', async () => {
    const follower = await TidalDb.open({ role: 'follower' });
    await follower.applySegment(forgeSegment({ tuples: [signal({}), [2, 2, 'a', 'text', { k: [1, 'two', null, true] }]] }));
    expect(follower.lastSeq).toBe(2);
    expect(follower.getItem('a')).toEqual({ id: 'a', text: 'text', fields: { k: [1, 'two', null, true] } });
  });
});

describe('defect 7: bad arguments to public entry points are typed errors, never synchronous throws from a Promise-returning method', () => {
  it('waitFor(5) without options rejects with InvalidInput (no wait-forever)', async () => {
    const db = await TidalDb.open();
    let promise: Promise<unknown> | undefined;
    expect(() => { promise = db.waitFor(5, undefined as never); }).not.toThrow();
    expectTyped(await rejection(promise!), TidalError, 'InvalidInput', /timeoutMs/);
    expectTyped(await rejection(db.waitFor(Number.NaN, { timeoutMs: 10 })), TidalError, 'InvalidInput', /seq/);
    expectTyped(await rejection(db.waitFor(1, { timeoutMs: -1 })), TidalError, 'InvalidInput', /timeoutMs/);
  });

  it('synchronous reads refuse non-string names, out-of-range times and bad seqnos with InvalidInput', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    const invalid = expect.objectContaining({ code: 'InvalidInput' });
    expect(() => db.readDecayScore(42 as never, 'view')).toThrow(invalid);
    expect(() => db.readDecayScore('a', null as never)).toThrow(invalid);
    expect(() => db.getItem(undefined as never)).toThrow(invalid);
    expect(() => db.readDecayScore('a', 'view', 1e17)).toThrow(invalid);
    expect(() => db.retrieve({ signal: 'view', at: Number.NaN })).toThrow(invalid);
    expect(() => db.retainFrom(Number.NaN)).toThrow(invalid);
    expect(db.readDecayScore('never-written', 'view')).toBe(0);
  });

  const payloads: Array<[string, unknown]> = [
    ['null', null], ['{}', {}], ['a string', 'segment'], ['bytes that are an array', { shardId: 0, segmentId: 1, firstSeq: 1, lastSeq: 1, sealedAtMs: 0, bytes: [1, 2], checksum: null }],
  ];
  for (const [what, payload] of payloads) {
    it(`applySegment(${what}) rejects with WalError Corruption and changes nothing`, async () => {
      const follower = await TidalDb.open({ role: 'follower' });
      let promise: Promise<unknown> | undefined;
      expect(() => { promise = follower.applySegment(payload as WalSegmentPayload); }).not.toThrow();
      expectTyped(await rejection(promise!), WalError, 'Corruption');
      expect(follower.lastSeq).toBe(0);
    });
  }

  for (const [what, bytes] of [['null', null], ['a string', 'TDCK'], ['an array', [84, 68, 67, 75]]] as const) {
    it(`installCheckpoint(${what}) rejects with WalError Corruption and changes nothing`, async () => {
      const follower = await TidalDb.open({ role: 'follower' });
      expectTyped(await rejection(follower.installCheckpoint(bytes as unknown as Uint8Array)), WalError, 'Corruption');
      expect(follower.lastSeq).toBe(0);
    });
  }
});

describe('defect 8: a follower keeps its own copy of what it was handed', () => {
  it('changing the buffer after applySegment resolves changes neither what the in-memory follower reads nor what it ships', async () => {
    const leader = await TidalDb.open({ clock: () => T0 });
    await leader.signal({ itemId: 'a', type: 'view', at: T0 });
    const sealed = (await leader.wal.seal())!;
    const bytes = Uint8Array.from(sealed.bytes);
    const follower = await TidalDb.open({ role: 'follower' });
    await follower.applySegment({ ...sealed, bytes, checksum: Checksum.of(bytes) });
    bytes.fill(0);
    const shipped: WalSegmentPayload[] = [];
    for await (const p of follower.wal.sealedSegmentsSince(0)) shipped.push(p);
    expect(shipped).toHaveLength(1);
    expect(Buffer.from(shipped[0]!.bytes).equals(Buffer.from(sealed.bytes))).toBe(true);
    const downstream = await TidalDb.open({ role: 'follower' });
    await downstream.applySegment(shipped[0]!);
    expect(downstream.readDecayScore('a', 'view', T0)).toBe(1);
  });

  it('changing a checkpoint buffer after installCheckpoint resolves changes nothing the follower stores', async () => {
    const leader = await TidalDb.open({ clock: () => T0 });
    await leader.signal({ itemId: 'a', type: 'view', at: T0 });
    await leader.checkpoint();
    const { bytes } = (await leader.latestCheckpoint())!;
    const handed = Uint8Array.from(bytes);
    const follower = await TidalDb.open({ role: 'follower' });
    expect(await follower.installCheckpoint(handed)).toBe(true);
    handed.fill(0);
    const stored = await follower.latestCheckpoint();
    expect(Buffer.from(stored!.bytes).equals(Buffer.from(bytes))).toBe(true);
  });
});
