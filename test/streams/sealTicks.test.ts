import { take } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { TidalError } from '../../src/index.js';
import { sealTicks } from '../../streams/index.js';

describe('sealTicks', () => {
  it('ticks every intervalMs, the first one interval after subscribing', marbles((m) => {
    m.expect(sealTicks(20, m.scheduler).pipe(take(3))).toBeObservable('20ms a 19ms b 19ms (c|)', { a: 0, b: 1, c: 2 });
  }));

  it('refuses a non-positive interval with InvalidInput', () => {
    expect(() => sealTicks(0)).toThrowError(TidalError);
    expect(() => sealTicks(Number.NaN)).toThrowError(/intervalMs must be a positive/);
  });
});
