import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { TidalDb } from '../src/index.js';
import { emptyLagState, type LagReport, lagReport, type LagState } from './lagStep.js';
import { replicationLagState, type ReplicationLagInputs } from './replicationLag.js';
import { DEFAULT_SCHEDULER } from './defaults.js';

/**
 * ReplicationLagGauge: keeps the leader's `MetricsState` current with each
 * follower's lag, so `db.metrics.snapshot().replicationLag[peer]` is
 * `leader lastSeq - follower applied seqno`, and `.followers[peer]` adds
 * the lag in ms and by stage. The snapshot computes them when it is taken,
 * from the leader's lastSeq at that moment: a write made since the last ack
 * shows as lag at once, not at the next tick.
 *
 * @example
 * const gauge = new ReplicationLagGauge(leaderDb, { feedback$, shipped$, ticks$ }).start();
 * gauge.lag$.subscribe((report) => console.log(report.f1?.events));
 * gauge.stop();
 */
export class ReplicationLagGauge {
  private readonly subject = new BehaviorSubject<LagReport>({});
  /** The latest report, replayed to new subscribers. Completes on stop(). */
  readonly lag$: Observable<LagReport> = this.subject.asObservable();
  private subscription: Subscription | null = null;

  constructor(private readonly db: TidalDb, private readonly inputs: Omit<ReplicationLagInputs, 'leaderSeq'>) {}

  /** The latest report. */
  get current(): LagReport {
    return this.subject.value;
  }

  /** Starts writing lag into `db.metrics`; returns this. `stop()` ends it. */
  start(): this {
    if (this.subscription) return this;
    const scheduler = this.inputs.scheduler ?? DEFAULT_SCHEDULER;
    let state: LagState = emptyLagState(this.inputs.disconnectedAfterMs);
    this.db.metrics.setFollowerLagSource(() => lagReport(state, this.db.lastSeq, scheduler.now()));
    this.subscription = replicationLagState({ ...this.inputs, leaderSeq: () => this.db.lastSeq }).subscribe({
      next: (next) => {
        state = next;
        this.subject.next(lagReport(state, this.db.lastSeq, scheduler.now()));
      },
      error: (err) => this.subject.error(err),
    });
    return this;
  }

  /** Stops measuring; the metrics keep the last figures, frozen at this moment. */
  stop(): void {
    if (this.subscription) {
      const last = this.db.metrics.snapshot().followers;
      this.db.metrics.setFollowerLagSource(() => last);
    }
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.subject.complete();
  }
}
