/**
 * Trace: what happened in one run, line by line, folded into a SHA-256 as it
 * goes. Two runs of the same seed must give the same hash: that is the
 * determinism check. Lines are kept only when asked (--verbose), and then at
 * most MAX_TRACE_LINES of them.
 */
import { createHash, type Hash } from 'node:crypto';

/** A run is at most 200 steps of a few dozen events each; this keeps a verbose trace under ~10 MB. */
export const MAX_TRACE_LINES = 100_000;

export class Trace {
  private readonly hash: Hash = createHash('sha256');
  private readonly kept: string[] = [];
  private count = 0;

  constructor(private readonly keep: boolean, private readonly clock: () => number) {}

  add(line: string): void {
    const stamped = `${this.clock()} ${line}`;
    this.hash.update(stamped);
    this.hash.update('\n');
    this.count++;
    if (this.keep && this.kept.length < MAX_TRACE_LINES) this.kept.push(stamped);
  }

  /** A detail line kept with --verbose but not hashed (disk operations): the hash is the same with or without it. */
  note(line: string): void {
    if (this.keep && this.kept.length < MAX_TRACE_LINES) this.kept.push(`${this.clock()}   ${line}`);
  }

  /** Whether `note` keeps anything (callers skip building the line otherwise). */
  get verbose(): boolean {
    return this.keep;
  }

  get lines(): readonly string[] {
    return this.kept;
  }

  get length(): number {
    return this.count;
  }

  /** The hash of every line so far (the trace can go on afterwards). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}
