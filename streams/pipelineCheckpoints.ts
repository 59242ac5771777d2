import { EMPTY, type Observable, type SchedulerLike } from 'rxjs';
import type { MetricsState } from '../src/index.js';
import { type CheckpointingDb, DEFAULT_CHECKPOINT_INTERVAL_MS, periodicCheckpoints } from './periodicCheckpoints.js';
import type { PipelineLifecycle } from './pipelineLifecycle.js';

/**
 * A pipeline's periodic checkpoints (leader or follower): every
 * `intervalMs` (default DEFAULT_CHECKPOINT_INTERVAL_MS; 0 turns them off),
 * each tracked by the pipeline's lifecycle so `stop()` waits for it. A
 * failure counts `replication.checkpointFailures` and degrades the pipeline;
 * the next checkpoint is tried on time.
 *
 * @param intervalMs ms between checkpoints; 0 for none
 */
export function pipelineCheckpoints(
  db: CheckpointingDb & { readonly metrics: MetricsState }, intervalMs: number | undefined, lifecycle: PipelineLifecycle, scheduler?: SchedulerLike,
): Observable<number> {
  const every = intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  if (every <= 0) return EMPTY;
  return periodicCheckpoints(db, every, {
    scheduler, track: (work$) => lifecycle.track(work$),
    onError: () => {
      db.metrics.inc('replication.checkpointFailures');
      lifecycle.degraded();
    },
  });
}
