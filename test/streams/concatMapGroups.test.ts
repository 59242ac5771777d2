/**
 * concatMapGroups, the group commit's operator: what arrives while a group
 * runs becomes the next group (bounded), nothing is dropped or reordered,
 * a synchronous project behaves as concatMap, and teardown reaches the
 * inner subscription.
 */
import { concatMap, delay, map, of, throwError } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { concatMapGroups } from '../../streams/concatMapGroups.js';

describe('concatMapGroups', () => {
  it('groups what arrived while the previous group ran; a value arriving while idle starts its own group at once', marbles((m) => {
    const source = m.hot('  -a-b-c-------d--|');
    const subs = '         ^---------------!';
    const expected = '     6ms x 4ms y 6ms (z|)';
    const result = source.pipe(concatMapGroups((group: string[]) => of(group.join('')).pipe(delay(5, m.scheduler)), 64));
    m.expect(result).toBeObservable(expected, { x: 'a', y: 'bc', z: 'd' });
    m.expect(source).toHaveSubscriptions(subs);
  }));

  it('takes at most maxGroup values in a group; the rest wait for the next, in order', marbles((m) => {
    const source = m.hot('  -abcde|');
    const seen: string[] = [];
    const result = source.pipe(concatMapGroups((group: string[]) => of(group.join('')).pipe(delay(2, m.scheduler)), 2));
    result.subscribe((g) => seen.push(`${m.scheduler.now()}:${g}`));
    m.flush();
    expect(seen).toEqual(['3:a', '5:bc', '7:de']);
  }));

  it('with a synchronous project it is concatMap: groups of one, same values, same frames', marbles((m) => {
    const source = m.cold(' -a-b-(cd)-|');
    const grouped = source.pipe(concatMapGroups((group: string[]) => of(group.length === 1 ? group[0]! : 'X'), 64));
    m.expect(grouped).toBeObservable(' -a-b-(cd)-|');
    m.expect(source.pipe(concatMap((v) => of(v)))).toBeObservable(' -a-b-(cd)-|');
  }));

  it('an inner error is passed on and unsubscribes the source', marbles((m) => {
    const source = m.hot('  -a-b-c-|');
    const subs = '         ^--!';
    const result = source.pipe(concatMapGroups((group: string[]) => (group.includes('b') ? throwError(() => new Error('boom')) : of(group[0]!)), 64));
    m.expect(result).toBeObservable('-a-#', undefined, new Error('boom'));
    m.expect(source).toHaveSubscriptions(subs);
  }));

  it('unsubscribing tears down the group in flight', marbles((m) => {
    const source = m.hot('  -a---');
    const inner = m.cold('   -----x|');
    const innerSubs = '     -^--!';
    const result = source.pipe(concatMapGroups(() => inner, 64));
    m.expect(result, '      ^---!').toBeObservable('-----');
    m.expect(inner).toHaveSubscriptions(innerSubs);
  }));

  it('refuses a maxGroup that is not an integer of at least 1', () => {
    expect(() => concatMapGroups(() => of(1), 0)).toThrow(/maxGroup must be an integer >= 1, got 0/);
    expect(() => concatMapGroups(() => of(1), 1.5)).toThrow(RangeError);
  });

  it('completes only after the last group completes', marbles((m) => {
    const source = m.cold(' a|');
    const result = source.pipe(concatMapGroups((g: string[]) => of(g.length).pipe(delay(4, m.scheduler), map(String)), 64));
    m.expect(result).toBeObservable('----(1|)');
  }));
});
