/**
 * What the engine reports in `db.metrics` at each snapshot: the high-water mark, write and replay
 * counts, the WAL's sizes and merges, checkpoints and torn tails. Read from the core when a
 * snapshot is taken, so nothing is copied on the write path.
 */
import type { DbCore } from './dbCore.js';

/** A metrics collector over `core` (MetricsState.addCollector). */
export function engineGauges(core: DbCore): () => Record<string, number> {
  const { counts, wal } = core;
  return () => ({
    lastSeq: core.state.appliedSeq,
    'writes.signals': counts.signals,
    'writes.items': counts.items,
    'wal.sealedSegments': wal.sealedSegments.length,
    'wal.activeBytes': wal.activeBytes,
    'replay.segmentsApplied': counts.segmentsApplied,
    'replay.segmentsSkipped': counts.segmentsSkipped,
    'replay.eventsSkipped': counts.eventsSkipped,
    'recovery.tornTails': core.recovery.tornTail ? 1 : 0,
    'checkpoints.written': counts.checkpoints,
    'checkpoints.byBytes': counts.checkpointsByBytes,
    'checkpoints.failures': counts.checkpointFailures,
    'wal.sealedBytes': wal.sealedBytes,
    'wal.merges': wal.merges.merges,
    'wal.mergeFailures': wal.merges.failures,
  });
}
