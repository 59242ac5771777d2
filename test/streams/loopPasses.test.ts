import { defer, EMPTY, of, timer, map } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { loopPasses } from '../../streams/internal/loopPasses.js';

describe('loopPasses', () => {
  it('repeats passes until one emits nothing, waiting for asynchronous passes', marbles((m) => {
    let n = 0;
    const pass = () => defer(() => (n < 3 ? timer(2).pipe(map(() => ++n)) : EMPTY));
    m.expect(loopPasses(pass)).toBeObservable('--a-b-(c|)', { a: 1, b: 2, c: 3 });
  }));

  it('runs 100,000 synchronous passes without growing the stack', () => {
    let n = 0;
    const seen: number[] = [];
    loopPasses(() => (n < 100_000 ? of(++n) : EMPTY)).subscribe((x) => x % 50_000 === 0 && seen.push(x));
    expect(seen).toEqual([50_000, 100_000]);
  });
});
