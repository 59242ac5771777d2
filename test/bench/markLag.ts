/**
 * Lag from marks: a write is stamped with the mark that will show it
 * replicated (a seqno, a replication offset) and the time it was made; each
 * report of how far the replica got (`reached`) turns every stamp at or
 * below it into a lag sample.
 *
 * A stamp's mark may be learnt after the replica already passed it (Redis:
 * the primary's offset comes back on an INFO reply, while the replica is
 * polled on its own connection). Recent reports are kept, so such a stamp
 * gets the time of the first report at or past its mark, not a later one.
 */

import { percentile } from './stats.js';

/** Reports kept for late stamps: 1,024 at one report per ms is about a second. */
const MAX_REPORTS = 1024;

export class MarkLag {
  /** One sample per stamp matched, in ms. */
  readonly lagsMs: number[] = [];
  /** When each sample's write was made (performance.now()), beside `lagsMs`. */
  readonly writtenAtMs: number[] = [];
  private readonly marks: number[] = [];
  private readonly times: number[] = [];
  private next = 0;
  private readonly reportMarks: number[] = [];
  private readonly reportTimes: number[] = [];

  /** A write that shows as replicated once the replica reaches `mark`; made at `atMs` (performance.now()). */
  written(mark: number, atMs = performance.now()): void {
    const early = this.firstReportAtOrPast(mark, atMs);
    if (early !== null) {
      this.sample(early - atMs, atMs);
      return;
    }
    this.marks.push(mark);
    this.times.push(atMs);
  }

  /** The replica got to `mark` by `atMs`. Marks must not decrease between stamps. */
  reached(mark: number, atMs = performance.now()): void {
    while (this.next < this.marks.length && this.marks[this.next]! <= mark) {
      const writtenAt = this.times[this.next++]!;
      this.sample(atMs - writtenAt, writtenAt);
    }
    this.reportMarks.push(mark);
    this.reportTimes.push(atMs);
    if (this.reportMarks.length > 2 * MAX_REPORTS) {
      this.reportMarks.splice(0, MAX_REPORTS);
      this.reportTimes.splice(0, MAX_REPORTS);
    }
  }

  /**
   * p99 of the samples whose writes fell in each `windowMs` since `sinceMs`
   * (earlier ones are left out):
   * a lag that grows through the run (a replica that cannot keep up) shows
   * as a rising series, a steady one as a flat series.
   */
  p99ByWindow(sinceMs: number, windowMs: number): number[] {
    const windows: number[][] = [];
    this.writtenAtMs.forEach((at, i) => {
      if (at >= sinceMs) (windows[Math.floor((at - sinceMs) / windowMs)] ??= []).push(this.lagsMs[i]!);
    });
    return Array.from(windows, (w) => (w ? Math.round(percentile(w.sort((a, b) => a - b), 99) * 10) / 10 : NaN));
  }

  /** Stamps not matched yet. */
  get pending(): number {
    return this.marks.length - this.next;
  }

  private sample(lagMs: number, writtenAtMs: number): void {
    this.lagsMs.push(lagMs);
    this.writtenAtMs.push(writtenAtMs);
  }

  /** Time of the earliest kept report at or past `mark` made at or after `sinceMs`, or null. */
  private firstReportAtOrPast(mark: number, sinceMs: number): number | null {
    const last = this.reportMarks.length - 1;
    if (last < 0 || this.reportMarks[last]! < mark) return null;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.reportMarks[mid]! < mark) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i <= last; i++) if (this.reportTimes[i]! >= sinceMs) return this.reportTimes[i]!;
    return null;
  }
}
