/**
 * PipelineLifecycle in virtual time: work it tracks runs to its end whatever
 * its subscriber does, and stopped() settles the moment the last of it does.
 */
import { marbles } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { PipelineLifecycle } from '../../streams/pipelineLifecycle.js';

describe('PipelineLifecycle', () => {
  it('track: the work outlives its subscriber, replays its outcome, and stop settles once it has', marbles((m) => {
    const lifecycle = new PipelineLifecycle();
    const work = m.cold('  -----(a|)');
    const sub = lifecycle.track(work).subscribe();
    m.scheduler.schedule(() => sub.unsubscribe(), 2);
    m.scheduler.schedule(() => void lifecycle.stopped(), 3);
    m.expect(lifecycle.state$).toBeObservable('s----(x|)', { s: 'starting', x: 'stopped' });
    m.expect(work).toHaveSubscriptions('^----!'); // to its end, though its subscriber left at 2
  }));

  it('stopped with nothing in flight settles at once; a late subscriber to tracked work gets its outcome', marbles((m) => {
    const lifecycle = new PipelineLifecycle();
    const tracked = lifecycle.track(m.cold('--(a|)'));
    m.expect(tracked).toBeObservable('--(a|)');
    m.scheduler.schedule(() => void lifecycle.stopped(), 4);
    m.expect(lifecycle.state$).toBeObservable('s---(x|)', { s: 'starting', x: 'stopped' });
  }));

  it('a failure is fatal: error$ carries it typed, the state is failed, and stopped() then changes nothing', marbles((m) => {
    const lifecycle = new PipelineLifecycle();
    m.scheduler.schedule(() => lifecycle.fail(new Error('disk gone')), 1);
    m.scheduler.schedule(() => void lifecycle.stopped(), 2);
    m.expect(lifecycle.state$).toBeObservable('s(f|)', { s: 'starting', f: 'failed' });
    m.scheduler.schedule(() => expect(lifecycle.ended).toBe(true), 3);
  }));
});
