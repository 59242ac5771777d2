import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { TidalError } from '../../../src/index.js';
import { backoffDelayMs } from '../../../streams/transports/tcpTransport.js';
import { reconnectWithBackoff } from '../../../streams/transports/reconnectWithBackoff.js';

describe('backoffDelayMs', () => {
  it('draws uniformly below min(cap, base × 2^attempt): full jitter', () => {
    expect([0, 1, 2, 3, 4].map((a) => backoffDelayMs(a, 0.5))).toEqual([50, 100, 200, 400, 800]);
    expect(backoffDelayMs(0, 0)).toBe(0);
    expect(backoffDelayMs(0, 0.999_999)).toBe(99);
    expect(backoffDelayMs(6, 0.999_999)).toBe(6399);
  });

  it('caps the ceiling at 10 s, however many attempts (no overflow to Infinity)', () => {
    expect(backoffDelayMs(7, 0.5)).toBe(5000);
    expect(backoffDelayMs(1_000, 0.5)).toBe(5000);
    expect(backoffDelayMs(1_000, 0.999_999)).toBe(9999);
    expect(backoffDelayMs(3, 0.5, 10, 50)).toBe(25);
  });

  it('refuses a negative attempt or a draw outside [0, 1) with InvalidInput', () => {
    expect(() => backoffDelayMs(-1, 0.5)).toThrowError(TidalError);
    expect(() => backoffDelayMs(0.5, 0.5)).toThrowError(/attempt must be an integer/);
    expect(() => backoffDelayMs(0, 1)).toThrowError(/random draw must be in \[0, 1\)/);
  });
});

describe('reconnectWithBackoff', () => {
  it('waits 50, 100, 200 ms (random 0.5) between sessions that fail before connecting', marbles((m) => {
    const session = m.cold('--#');
    const waits: Array<[number, number]> = [];
    const loop = reconnectWithBackoff(() => session, {
      random: () => 0.5, scheduler: m.scheduler, onRetry: (attempt, delayMs) => waits.push([attempt, delayMs]),
    });
    const unsub = '400ms !';
    m.expect(loop, unsub).toBeObservable('-');
    m.expect(session).toHaveSubscriptions([
      '^-!',
      '52ms ^-!',
      '154ms ^-!',
      '356ms ^-!',
    ]);
    m.flush();
    expect(waits).toEqual([[0, 50], [1, 100], [2, 200], [3, 400]]);
  }));

  it('resets to attempt 0 after a session that connected (emitted), and treats completion as a loss', marbles((m) => {
    const sessions = [m.cold('--#'), m.cold('--#'), m.cold('-c--|'), m.cold('--#')];
    let n = 0;
    const loop = reconnectWithBackoff(() => sessions[Math.min(n++, sessions.length - 1)]!, { random: () => 0.5, scheduler: m.scheduler });
    // fail at 2, wait 50 → fail at 54, wait 100 → connect at 155, end at 158, wait 50 (reset) → 208
    m.expect(loop, '250ms !').toBeObservable('155ms c', { c: 'c' });
    m.expect(sessions[0]!).toHaveSubscriptions('^-!');
    m.expect(sessions[1]!).toHaveSubscriptions('52ms ^-!');
    m.expect(sessions[2]!).toHaveSubscriptions('154ms ^---!');
    m.expect(sessions[3]!).toHaveSubscriptions(['208ms ^-!']);
  }));

  it('unsubscribing ends the current session and any pending wait: nothing is left scheduled', marbles((m) => {
    const session = m.cold('-c------');
    const loop = reconnectWithBackoff(() => session, { random: () => 0.5, scheduler: m.scheduler });
    m.expect(loop, '^---!').toBeObservable('-c--', { c: 'c' });
    m.expect(session).toHaveSubscriptions('^---!');
  }));
});
