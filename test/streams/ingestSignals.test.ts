/**
 * ingestSignals (issue 9): an Observable of signals becomes committed
 * batches, each emitting its last seqno; a batch closes at maxBatch signals
 * or maxDelayMs after its first; a bad signal goes to the rejection
 * observer and the stream goes on. Marble-tested in virtual time.
 */
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { type SignalInput, TidalDb, TidalError } from '../../src/index.js';
import { type IngestRejection, ingestSignals } from '../../streams/index.js';
import { batchUntil } from '../../streams/internal/batchUntil.js';

const T0 = 1_700_000_000_000;
const sig = (itemId: string): SignalInput => ({ itemId, type: 'view', at: T0 });
const bad: SignalInput = { itemId: '', type: 'view', at: T0 };

describe('batchUntil', () => {
  it('emits when full, or maxDelayMs after the first value of a batch, and the rest on completion', marbles((m) => {
    const source = m.cold('-abc-------d------e|');
    m.expect(source.pipe(batchUntil(3, 5, m.scheduler))).toBeObservable('---x------------y--(z|)', {
      x: ['a', 'b', 'c'], y: ['d'], z: ['e'],
    });
    m.expect(source).toHaveSubscriptions('^------------------!');
  }));
});

describe('ingestSignals(db, { maxBatch, maxDelayMs, scheduler })', () => {
  it('emits each committed batch\'s last seqno: when full, then maxDelayMs after a batch\'s first signal', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    marbles((m) => {
      const source = m.cold('-abc-----d-e----|', { a: sig('a'), b: sig('b'), c: sig('c'), d: sig('d'), e: sig('e') });
      m.expect(source.pipe(ingestSignals(db, { maxBatch: 3, maxDelayMs: 5, scheduler: m.scheduler }))).toBeObservable('---x----------y-|', { x: 3, y: 5 });
      m.expect(source).toHaveSubscriptions('^---------------!');
    })();
    expect(db.lastSeq).toBe(5);
    expect(db.retrieve({ signal: 'view', at: T0 }).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a bad signal goes to the rejection observer and the rest of its batch is written; the stream goes on', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    const rejected: Array<[number, IngestRejection]> = [];
    marbles((m) => {
      const source = m.cold('-abc-----d-X----f|', { a: sig('a'), b: sig('b'), c: sig('c'), d: sig('d'), X: bad, f: sig('f') });
      const rejections = { next: (r: IngestRejection) => rejected.push([m.scheduler.now(), r]) };
      m.expect(source.pipe(ingestSignals(db, { maxBatch: 3, maxDelayMs: 5, scheduler: m.scheduler, rejected: rejections })))
        .toBeObservable('---x----------y--(z|)', { x: 3, y: 4, z: 5 });
    })();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]![0]).toBe(14);
    expect(rejected[0]![1].input).toBe(bad);
    expect(rejected[0]![1].error).toBeInstanceOf(TidalError);
    expect(rejected[0]![1].error.code).toBe('InvalidInput');
    expect(db.lastSeq).toBe(5);
  });

  it('a batch of nothing but bad signals emits nothing', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    let rejections = 0;
    marbles((m) => {
      const source = m.cold('-XX|', { X: bad });
      m.expect(source.pipe(ingestSignals(db, { maxBatch: 10, maxDelayMs: 5, scheduler: m.scheduler, rejected: { next: () => rejections++ } })))
        .toBeObservable('---|');
    })();
    expect(rejections).toBe(2);
    expect(db.lastSeq).toBe(0);
  });

  it('a closed database errors the stream (a database failure is not a bad signal)', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    await db.close();
    let error: unknown;
    marbles((m) => {
      const source = m.cold('-a|', { a: sig('a') });
      source.pipe(ingestSignals(db, { maxBatch: 1, scheduler: m.scheduler })).subscribe({ error: (e: unknown) => (error = e) });
    })();
    expect(error).toBeInstanceOf(TidalError);
    expect((error as TidalError).code).toBe('Closed');
  });

  it('refuses a maxBatch below 1 with InvalidInput', async () => {
    const db = await TidalDb.open();
    expect(() => ingestSignals(db, { maxBatch: 0 })).toThrow(TidalError);
  });

  it('real time: 5000 signals from a plain array arrive in the database in order, batched (wiring)', async () => {
    const db = await TidalDb.open({ clock: () => T0 });
    const { from, lastValueFrom, toArray } = await import('rxjs');
    const seqs = await lastValueFrom(from(Array.from({ length: 5000 }, (_, i) => sig(`i${i % 10}`))).pipe(ingestSignals(db), toArray()));
    expect(seqs.at(-1)).toBe(5000);
    expect(seqs.length).toBeLessThanOrEqual(5);
  });
});
