/**
 * The options of startLeader (a WalShipper), their defaults, and what the
 * handle reports of each ack. Checked before anything starts
 * (pipelineOptions.ts).
 */
import type { SchedulerLike } from 'rxjs';
import type { TidalDb } from '../src/index.js';
import type { FollowerSet } from './followerSessions.js';
import type { LeaderTransport, PeerId } from './transport.js';

/** The options of startLeader (and the WalShipper). */
export interface LeaderOptions {
  /** The leader database. */
  readonly db: TidalDb;
  /** The leader's end of the transport (InProcessTransport, `TcpTransport.listen`, WorkerTransport, …). */
  readonly transport: LeaderTransport;
  /** Follower peer ids, or a stream of the set as followers join and leave. */
  readonly followers: FollowerSet;
  /** Seal the active segment and announce status this often, in ms. Default 2000 (the seed's). */
  readonly shipIntervalMs?: number;
  /** See shipSegments. Default 5000 ms. */
  readonly retransmitAfterMs?: number;
  /** Checkpoint the leader this often (retention runs then), in ms; 0 turns it off. Default 60000. */
  readonly checkpointIntervalMs?: number;
  /** A follower silent this long, in ms, shows as 'disconnected' in lag$ and the metrics. Default 5000. */
  readonly disconnectedAfterMs?: number;
  /**
   * When to seal and ship: `'tick'` (default) every `shipIntervalMs`;
   * `'commit'` as soon as each write commits, with no timer to wait for (as
   * PostgreSQL streams WAL records), ticks still sealing what a commit left.
   * Either way sealing is ack-clocked (gateSeals): a seal waits while every
   * follower is still applying what it was sent, so a smaller interval or
   * sealing per commit never floods a follower.
   */
  readonly shipOn?: 'tick' | 'commit';
  readonly scheduler?: SchedulerLike;
}

/** What a follower reported applied. */
export interface FollowerAck {
  readonly peer: PeerId;
  readonly appliedSeq: number;
}

export { DEFAULT_SHIP_INTERVAL_MS, MIN_STALLED_AFTER_MS } from './defaults.js';
