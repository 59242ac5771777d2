import type { ActiveSegment } from './segmentStore.js';

/** A promise with its settle functions, shared by every write of one commit group. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a failure is reported to whoever awaits; never an unhandled rejection here
  return { promise, resolve, reject };
}

interface SyncJob {
  readonly segment: ActiveSegment;
  /** Releases the segment after its sync (a seal); null for a plain sync. */
  closeAfter: (() => void) | null;
  readonly groups: Deferred[];
  onDurable: (() => void) | null;
  started: boolean;
}

/**
 * Group commit: fsyncs run one at a time, in order; every commit group that
 * arrives while one runs joins the next, so N concurrent writers share one
 * fdatasync rather than paying N. A sync starts a microtask after it is
 * queued, so a seal queued in the same tick as a commit to its segment (a
 * seal on commit) takes that commit's job over: one fdatasync makes both the
 * batch and the footer durable. A failed sync fails every waiting group and
 * everything after it (fail-stop, as PostgreSQL does on fsync failure).
 */
export class SyncQueue {
  private readonly jobs: SyncJob[] = [];
  private running = false;
  private startScheduled = false;
  private failure: unknown = null;

  constructor(private readonly onFailure: (err: unknown) => void) {}

  /** Resolves `group` once everything appended to `segment` so far is durable. */
  syncFor(segment: ActiveSegment, group: Deferred): void {
    const last = this.jobs[this.jobs.length - 1];
    if (last && !last.started && last.segment === segment && !last.closeAfter) last.groups.push(group);
    else this.push({ segment, closeAfter: null, groups: [group], onDurable: null, started: false });
  }

  /**
   * Syncs a sealed segment, releases it with `close`, then calls `onDurable`.
   * If the sync fails, `close` is not called: the segment's owner releases it.
   */
  seal(segment: ActiveSegment, close: () => void, onDurable: () => void): void {
    const last = this.jobs[this.jobs.length - 1];
    if (last && !last.started && last.segment === segment && !last.closeAfter) {
      // Its groups' bytes come before the footer: the seal's one sync covers them.
      last.closeAfter = close;
      last.onDurable = onDurable;
      return;
    }
    this.push({ segment, closeAfter: close, groups: [], onDurable, started: false });
  }

  /** Adds `group` to the newest queued job (a group whose bytes all went into sealed segments). */
  joinLast(group: Deferred): void {
    const last = this.jobs[this.jobs.length - 1];
    if (last) last.groups.push(group);
    else group.resolve();
  }

  /** Resolves once every queued job has run. */
  async drain(): Promise<void> {
    const done = deferred();
    this.joinLast(done);
    if (this.failure) throw this.failure;
    await done.promise;
  }

  private push(job: SyncJob): void {
    if (this.failure) {
      for (const g of job.groups) g.reject(this.failure);
      return;
    }
    this.jobs.push(job);
    if (this.running || this.startScheduled) return;
    this.startScheduled = true;
    queueMicrotask(() => {
      this.startScheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.jobs.length > 0) {
      const job = this.jobs[0]!;
      job.started = true;
      try {
        await job.segment.sync();
        job.closeAfter?.();
      } catch (err) {
        this.fail(err);
        break;
      }
      this.jobs.shift();
      job.onDurable?.();
      for (const g of job.groups) g.resolve();
    }
    this.running = false;
  }

  private fail(err: unknown): void {
    this.failure = err;
    for (const job of this.jobs.splice(0)) for (const g of job.groups) g.reject(err);
    this.onFailure(err);
  }
}
