/**
 * ReferenceLog: the history of one leadership epoch as the simulated clients
 * saw it: every write that got a seqno, in seqno order (a promoted leader's
 * log starts with the prefix it held), and the highest seqno acknowledged.
 * Every node's state is checked against a prefix of the log of its epoch.
 */
import { ExpectedState } from './expectedState.js';
import type { RefEvent } from './workload.js';

/** Prefix states kept per log; past this the memo starts over (a bound, not a tuning knob). */
const MAX_MEMO_ENTRIES = 512;

export class ReferenceLog {
  private readonly events: RefEvent[];
  private memo = new Map<number, ExpectedState>();
  /** Highest seqno whose write resolved: durable under fsync, so never lost. */
  ackedSeq = 0;

  /** The seqno this epoch's leader was promoted at: its own writes start after it (0 for the first epoch). */
  readonly forkSeq: number;

  constructor(readonly epoch: number, private readonly queryAtMs: number, inherited: readonly RefEvent[] = []) {
    this.events = [...inherited];
    this.forkSeq = inherited.length;
  }

  get length(): number {
    return this.events.length;
  }

  /** Records the write that got seqno `seq`; false (nothing recorded) unless it is the next one. */
  append(seq: number, e: RefEvent): boolean {
    if (seq !== this.events.length + 1) return false;
    this.events.push(e);
    return true;
  }

  noteAcked(seq: number): void {
    this.ackedSeq = Math.max(this.ackedSeq, seq);
  }

  /** Forgets the writes after `seq` (lost with a crash before they were durable); their seqnos will be reused. */
  truncate(seq: number): void {
    if (seq >= this.events.length) return;
    this.events.length = seq;
    this.memo = new Map([...this.memo].filter(([n]) => n <= seq));
  }

  /** The log a follower promoted at `seq` in this epoch starts `epoch` with. */
  fork(epoch: number, seq: number): ReferenceLog {
    return new ReferenceLog(epoch, this.queryAtMs, this.events.slice(0, seq));
  }

  /** What a database holding seqnos 1..seq of this log must answer. */
  expectedAt(seq: number): ExpectedState {
    if (seq > this.events.length) throw new Error(`reference log of epoch ${this.epoch} has ${this.events.length} events, not ${seq}`);
    const hit = this.memo.get(seq);
    if (hit) return hit;
    let base = 0;
    for (const n of this.memo.keys()) if (n <= seq && n > base) base = n;
    const state = base === 0 ? new ExpectedState(this.queryAtMs) : this.memo.get(base)!.clone();
    for (let i = base; i < seq; i++) state.apply(this.events[i]!);
    if (this.memo.size >= MAX_MEMO_ENTRIES) this.memo.clear();
    this.memo.set(seq, state);
    return state;
  }
}
