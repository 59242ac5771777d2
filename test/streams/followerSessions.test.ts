import { map, mergeMap } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { describe, it } from 'vitest';
import { followerSessions } from '../../streams/followerSessions.js';

describe('followerSessions', () => {
  it('starts a session per join and ends it when the peer leaves; a rejoin is a new session', marbles((m) => {
    const sets = m.hot<string[]>('a--b--c--d', { a: ['x'], b: ['x', 'y'], c: ['y'], d: ['x', 'y'] });
    const joins = followerSessions(sets).pipe(map((s) => s.peer));
    m.expect(joins).toBeObservable('a--b-----c', { a: 'x', b: 'y', c: 'x' });
    const leaves = followerSessions(sets).pipe(mergeMap((s) => s.left$.pipe(map(() => s.peer))));
    m.expect(leaves).toBeObservable('------x---', { x: 'x' });
  }));

  it('treats a plain array as a fixed set that never leaves', marbles((m) => {
    m.expect(followerSessions(['a', 'b', 'a']).pipe(map((s) => s.peer))).toBeObservable('(ab|)');
  }));
});
