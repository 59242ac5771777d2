/**
 * Everything a TidalDb starts from: its store, the newest checkpoint, and
 * the WAL replayed after it through the one apply path.
 */
import { defaultHalfLives } from '../ledger/halfLives.js';
import { FileSegmentStore } from '../wal/fileSegmentStore.js';
import { MemorySegmentStore } from '../wal/memorySegmentStore.js';
import { openWal, type WalRecovery } from '../wal/openWal.js';
import type { SegmentStore } from '../wal/segmentStore.js';
import type { Wal } from '../wal/wal.js';
import { loadLatestCheckpoint } from './checkpoint.js';
import { applyBatchColumns } from './applySegment.js';
import type { DbState } from './dbState.js';
import type { ResolvedOptions } from './options.js';

/** What open found: checkpoint used, events replayed, a torn tail cut off. */
export interface RecoveryReport extends WalRecovery {
  readonly checkpointSeq: number;
}

export interface RecoveredDatabase {
  readonly store: SegmentStore;
  readonly state: DbState;
  readonly wal: Wal;
  readonly recovery: RecoveryReport;
}

/**
 * @param liveState the state new segment headers record their config from once
 *   the database runs (installCheckpoint may replace it); null until then
 */
export async function recoverDatabase(opts: ResolvedOptions, liveState: () => DbState | null): Promise<RecoveredDatabase> {
  const store: SegmentStore = opts.store ?? (opts.dir === null
    ? new MemorySegmentStore()
    : await FileSegmentStore.open(opts.dir, opts.shardId, opts.durability === 'fsync', { packBytes: opts.maxSegmentBytes, packSegments: opts.packSegments }));
  // What a crashed predecessor left in the page cache is made durable before anything is built on it.
  if (opts.durability === 'fsync') await store.syncAll?.();
  const state = await loadLatestCheckpoint(store, opts.shardId, opts.halfLives);
  const checkpointSeq = state.appliedSeq;
  const current = () => liveState() ?? state;
  const { wal, recovery } = await openWal(store, {
    shardId: opts.shardId, regionId: opts.regionId, maxSegmentBytes: opts.maxSegmentBytes,
    durability: opts.durability, shipCacheBytes: opts.shipCacheBytes, clock: opts.clock,
    halfLives: () => current().requireHalfLives(),
    epoch: () => current().epoch,
    epochStartSeq: () => current().epochStartSeq,
    epochHistory: () => current().epochHistory,
  }, {
    afterSeq: checkpointSeq,
    onHeader: (h, file) => {
      state.agreeHalfLives(h.halfLives, file);
      if (h.epoch > state.epoch) {
        state.epochStartSeq = h.epochStartSeq;
        state.epochHistory = h.epochHistory;
      }
      state.epoch = Math.max(state.epoch, h.epoch);
    },
    applyBatch: (batch, afterSeq) => applyBatchColumns(state, batch, afterSeq),
  });
  wal.reserveSegmentIds(state.nextSegmentId);
  if (state.halfLives === null && opts.role === 'leader') state.halfLives = defaultHalfLives();
  return { store, state, wal, recovery: { ...recovery, checkpointSeq } };
}
