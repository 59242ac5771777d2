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

/** Reports kept for late stamps: 1,024 at one report per ms is about a second. */
const MAX_REPORTS = 1024;

export class MarkLag {
  /** One sample per stamp matched, in ms. */
  readonly lagsMs: number[] = [];
  private readonly marks: number[] = [];
  private readonly times: number[] = [];
  private next = 0;
  private readonly reportMarks: number[] = [];
  private readonly reportTimes: number[] = [];

  /** A write that shows as replicated once the replica reaches `mark`; made at `atMs` (performance.now()). */
  written(mark: number, atMs = performance.now()): void {
    const early = this.firstReportAtOrPast(mark, atMs);
    if (early !== null) {
      this.lagsMs.push(early - atMs);
      return;
    }
    this.marks.push(mark);
    this.times.push(atMs);
  }

  /** The replica got to `mark` by `atMs`. Marks must not decrease between stamps. */
  reached(mark: number, atMs = performance.now()): void {
    while (this.next < this.marks.length && this.marks[this.next]! <= mark) this.lagsMs.push(atMs - this.times[this.next++]!);
    this.reportMarks.push(mark);
    this.reportTimes.push(atMs);
    if (this.reportMarks.length > 2 * MAX_REPORTS) {
      this.reportMarks.splice(0, MAX_REPORTS);
      this.reportTimes.splice(0, MAX_REPORTS);
    }
  }

  /** Stamps not matched yet. */
  get pending(): number {
    return this.marks.length - this.next;
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
