import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { TidalDb } from '../src/index.js';
import { type LagReport, replicationLag, type ReplicationLagInputs } from './replicationLag.js';

/**
 * ReplicationLagGauge: keeps the leader's `MetricsState` current with each
 * follower's lag, so `db.metrics.snapshot().replicationLag[peer]` is
 * `leader lastSeq - follower applied seqno`, and `.followers[peer]` adds
 * the lag in ms and by stage.
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

  start(): this {
    if (this.subscription) return this;
    const known = new Set<string>();
    this.subscription = replicationLag({ ...this.inputs, leaderSeq: () => this.db.lastSeq }).subscribe({
      next: (report) => {
        for (const peer of known) if (!(peer in report)) this.db.metrics.removeFollower(peer);
        known.clear();
        for (const [peer, lag] of Object.entries(report)) {
          known.add(peer);
          this.db.metrics.setFollowerLag(peer, lag);
        }
        this.subject.next(report);
      },
      error: (err) => this.subject.error(err),
    });
    return this;
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.subject.complete();
  }
}
