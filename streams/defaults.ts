/**
 * The defaults and limits of the replication pipeline (streams/), each with its unit and the reason
 * for its number, in one place (CONVENTIONS.md, rule 16). The transports' own wire limits sit with
 * their protocols (transports/tcpDefaults.ts, transports/jetStreamDefaults.ts); the engine's in
 * src/limits.ts.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';

/**
 * Real time: what every operator that waits uses unless given a scheduler. Tests pass a
 * TestScheduler instead, so one name says where real time enters.
 */
export const DEFAULT_SCHEDULER: SchedulerLike = asyncScheduler;

/** One minute: open replays at most a minute of writes, and retention runs that often. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

/** 16 segments: with timer seals every 2 s that is over 30 s of writes in flight per follower, bounded by maxSegmentBytes each. */
export const DEFAULT_CHANNEL_CAPACITY = 16;

/** 16, as the in-process transport: bounded by maxSegmentBytes each, so at most 64 MiB per worker at the 4 MiB default. */
export const DEFAULT_WORKER_CAPACITY = 16;

/** 1000 signals: one msgpackr call and one commit group amortised over them, ~30 KB of WAL. */
export const DEFAULT_INGEST_MAX_BATCH = 1000;

/** 1 ms: under load batches fill long before this; alone, a signal waits no longer. */
export const DEFAULT_INGEST_MAX_DELAY_MS = 1;

/**
 * 5 s: five missed heartbeats at the follower's default feedback interval
 * (1 s), so one slow round trip on a loaded machine does not flap the state.
 */
export const DEFAULT_DISCONNECTED_AFTER_MS = 5000;

/** Samples kept for the ms estimate; past this every other one goes (coarser, still an upper bound). */
export const MAX_LAG_SAMPLES = 4096;

/** 5 s: well past a heartbeat (1 s) plus a ship interval (2 s), so only a real loss triggers it. */
export const DEFAULT_RETRANSMIT_AFTER_MS = 5000;

/**
 * 1024 reads in flight: a read costs the worker 10-100 µs, so that is
 * 10-100 ms of queued work, past which a caller is outrunning the replica
 * and had better hear so than queue without bound.
 */
export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 1024;

/** 60 s: recovering a large directory (checkpoint plus WAL replay at ~2M events/s) takes seconds, not minutes. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;

/** 10 s: closing writes one checkpoint; longer means the worker is stuck, and it is terminated. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * 25 ms: the least time without an ack moving forward after which a follower
 * no longer paces sealing (gateSeals, followerBookStep): several ship-and-apply round trips
 * over loopback (about 1 to 2 ms each, fsync included), so a follower that
 * is applying is never mistaken for a stuck one; a lost segment is re-sent
 * after about this long plus a tick. The ship interval, when longer, is used.
 */
export const MIN_STALLED_AFTER_MS = 25;

/** The seed's `wal_ship_interval`. */
export const DEFAULT_SHIP_INTERVAL_MS = 2000;

/** 1 s: PostgreSQL's wal_receiver_status_interval is 10 s; in-process we can afford faster repair. */
export const DEFAULT_FEEDBACK_INTERVAL_MS = 1000;

/**
 * 64 segments: the most a follower stores with one fsync (idempotentReplay's group commit). The
 * transports hold at most 16 in flight per follower (DEFAULT_CHANNEL_CAPACITY), so a group takes all
 * that arrived during one fsync; the bound keeps one group at most 64 × maxSegmentBytes.
 */
export const MAX_REPLAY_GROUP_SEGMENTS = 64;
