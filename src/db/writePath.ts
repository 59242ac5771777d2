/**
 * A leader's writes: apply to the live state, append to the log, resolve
 * once durable as configured. In memory a write is done at once, and an
 * event-loop turn is given now and then (EventLoopTurns) so a tight loop of
 * awaited writes never starves timers.
 */
import { from, type Observable, of } from 'rxjs';
import type { WalEvent } from '../events.js';
import { WRITE_TURN_BUDGET_MS } from '../limits.js';
import { type DbCore, failed } from './dbCore.js';
import { applyWalEvent } from './dbState.js';
import { EventLoopTurns } from './eventLoopTurns.js';

export class WritePath {
  private readonly turns = new EventLoopTurns(WRITE_TURN_BUDGET_MS);

  constructor(private readonly core: DbCore) {}

  /** Applies and appends one validated event; resolves with its seqno once durable as configured. */
  write(event: WalEvent): Promise<number> {
    const { state, wal, appliedSubject, opts } = this.core;
    applyWalEvent(state, event);
    if (appliedSubject.observed) appliedSubject.next(event.seq);
    const seq = event.seq;
    const durable = wal.append(event);
    return opts.durability === 'memory' ? this.turns.settle(seq) : durable.then(() => seq, (err) => { throw failed(err); });
  }

  /** Applies and appends validated events (contiguous seqnos); emits the last seqno once durable as configured. */
  writeAll$(events: readonly WalEvent[]): Observable<number> {
    const { state, wal, appliedSubject, opts } = this.core;
    if (events.length === 0) return of(state.appliedSeq);
    let applied = 0;
    try {
      for (; applied < events.length; applied++) applyWalEvent(state, events[applied]!);
    } finally {
      // What was applied is logged, even if an apply threw part way (as one append per event did).
      if (applied > 0 && applied < events.length) void wal.appendAll(events.slice(0, applied)).catch(() => {});
    }
    // One group: every event joins the commit group pending now, so its promise covers them all.
    const durable = wal.appendAll(events);
    const seq = events[events.length - 1]!.seq;
    if (appliedSubject.observed) appliedSubject.next(seq);
    // In memory an append is done at once.
    if (opts.durability === 'memory') return of(seq);
    return from(durable.then(() => seq, (err: unknown) => { throw failed(err); }));
  }

  /** In memory, `done` then an event-loop turn when a tight write loop is due one; on disk, I/O yields already. */
  settled(done: Promise<number>): Promise<number> {
    return this.core.opts.durability === 'memory' ? done.then((seq) => this.turns.settle(seq)) : done;
  }
}
