import { describe, expect, it } from 'vitest';
import { EventLoopTurns } from '../../src/db/eventLoopTurns.js';

describe('EventLoopTurns', () => {
  it('resolves with the value without an event-loop turn while within the budget', async () => {
    const turns = new EventLoopTurns(60_000, 1);
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    expect(await turns.settle(7)).toBe(7);
    expect(immediateRan).toBe(false);
  });

  it('resolves only after an event-loop turn once the budget is spent', async () => {
    const turns = new EventLoopTurns(0, 1);
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    expect(await turns.settle('x')).toBe('x');
    expect(immediateRan).toBe(true);
  });

  it('reads the clock only every checkEvery calls', async () => {
    const turns = new EventLoopTurns(0, 4);
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    for (let i = 0; i < 3; i++) await turns.settle(i);
    expect(immediateRan).toBe(false);
    await turns.settle(3);
    expect(immediateRan).toBe(true);
  });
});
