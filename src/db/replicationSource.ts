/**
 * What replication asks of a database, as two small interfaces: the
 * leader's side (ReplicationSource: sealing, reading sealed segments,
 * retention, bootstrap checkpoints) and the follower's (ReplicationTarget:
 * applying segments and checkpoints, hearing the leader's position), both
 * with what periodic checkpoints need (CheckpointSource). `db.replication`
 * offers them; the reactive layer (`tidaldb/streams`) uses nothing else of
 * the WAL.
 *
 * Everything that waits is a cold Observable: the Promises of the database
 * (`seal()`, `checkpoint()`, `installCheckpoint()`, `latestCheckpoint()`) are
 * converted here, at the edge, with `defer(() => from(...))`, so a pipeline
 * stays in Observables and nothing runs until it subscribes.
 *
 *   leader:   seal$() ─▶ sealed$ ─▶ nextSegment$(after) ─▶ (behind retention) latestCheckpoint$()
 *             retainFrom(slowest acked seqno) ─▶ checkpoint$() drops what no follower needs
 *   follower: applySegment$(payload) / installCheckpoint$(bytes) ─▶ noteLeaderStatus(status)
 *   relay:    a follower is a source too (docs/cascading.md): seal$() seals nothing, sealed$ emits
 *             each segment as it is stored, byte for byte, and leaderStatus is what its leader announced
 */
import { catchError, concatMap, defer, EMPTY, expand, filter, from, merge, type Observable, takeWhile, tap } from 'rxjs';
import type { DecodedSegment } from '../wal/decodeSegment.js';
import type { WalSegmentPayload } from '../wal/walSegmentPayload.js';
import type { ApplyResult } from './applySegment.js';
import type { GroupOutcome, VerifiedPayload } from './replicaSide.js';
import type { LeaderStatus } from './freshness.js';
import type { Wal } from '../wal/wal.js';
import type { RecoveryReport } from './recoverDatabase.js';

/** A checkpoint file as stored: every event up to `seq` is in `bytes`. */
export interface StoredCheckpoint {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/** What checkpointing on a timer needs, on either role. */
export interface CheckpointSource {
  /** Highest seqno written (leader) or applied (follower). */
  readonly lastSeq: number;
  /** Sealed segments held now: a new one is a change for retention to weigh. */
  readonly sealedSegmentCount: number;
  /** The seqno of the checkpoint open recovered from; 0 when there was none. */
  readonly recoveredCheckpointSeq: number;
  /** Whether the database has closed: a pipeline then stops with `Closed`. */
  isClosed(): boolean;
  /** Cold: writes a checkpoint (retention runs then); emits its seqno once durable and completes. */
  checkpoint$(): Observable<number>;
}

/** The leader's side: what sealing and shipping need. */
export interface ReplicationSource extends CheckpointSource {
  readonly shardId: number;
  /** The leadership epoch this node leads (or follows) in, and the first seqno of it (1 for epoch 0). */
  readonly epoch: number;
  readonly epochStartSeq: number;
  /** The last seqno in a sealed segment: lastSeq less the events not sealed yet. */
  readonly sealedThroughSeq: number;
  /**
   * Every segment sealed from now on (size-triggered seals too), in order,
   * once durable. Hot. On a follower: every segment stored from a leader,
   * as it was shipped (byte for byte), once stored and applied; so a
   * follower can serve followers of its own (a relay, docs/cascading.md).
   */
  readonly sealed$: Observable<WalSegmentPayload>;
  /**
   * Cold: seals the active segment; emits it once durable (null when it held
   * no event) and completes. Errors with the log's failure (the log stops).
   * In memory `sealed$` has emitted by the time this is subscribed. A
   * follower writes nothing of its own: it emits null.
   */
  seal$(): Observable<WalSegmentPayload | null>;
  /** Cold: the sealed segment holding seqno `after + 1` (read back and verified if not cached), or nothing. */
  nextSegment$(after: number): Observable<WalSegmentPayload>;
  /** Cold: the newest checkpoint, to bootstrap a follower behind what is retained; null when there is none. */
  latestCheckpoint$(): Observable<StoredCheckpoint | null>;
  /** Followers still need every segment holding events after `seq` (the replication slot; Infinity: none). */
  retainFrom(seq: number): void;
}

/** The follower's side: what replay needs. */
export interface ReplicationTarget extends CheckpointSource {
  /** Cold: applies a shipped segment (see TidalDb.applySegment$); synchronous in memory. */
  applySegment$(payload: WalSegmentPayload, verified?: DecodedSegment): Observable<ApplyResult>;
  /** Cold: applies verified segments that arrived together, one outcome each, in order, storing each run with one fsync (group commit). */
  applySegmentGroup$(group: readonly VerifiedPayload[]): Observable<GroupOutcome>;
  /** Cold: installs a leader's checkpoint; emits true (installed) or false (already at or past it) and completes. */
  installCheckpoint$(bytes: Uint8Array): Observable<boolean>;
  /** Records the leader's announced position (bounded staleness). */
  noteLeaderStatus(status: LeaderStatus): void;
  /** The leader seqno last announced (this node's own lastSeq on a leader). */
  readonly knownLeaderSeq: number;
  /**
   * The furthest position announced to this node through `noteLeaderStatus`
   * (the greatest lastSeq; on a tie the latest atMs), null before any. Under
   * a relay that is the origin leader's position, so a relay passes it on
   * and lag downstream is end to end (docs/cascading.md).
   */
  readonly leaderStatus: LeaderStatus | null;
  /** ms this node may be behind its leader (Infinity on a follower that never caught up). */
  stalenessMs(): number;
}

/** Both sides: what `db.replication` offers (the database's role says which side a pipeline uses). */
export type Replication = ReplicationSource & ReplicationTarget;

/** What DbReplication reads of its database (a TidalDb): named here so the seam does not import the class. */
export interface ReplicatedDb {
  readonly shardId: number;
  readonly epoch: number;
  readonly epochStartSeq: number;
  readonly lastSeq: number;
  readonly knownLeaderSeq: number;
  readonly wal: Wal;
  /** The high-water mark after each change (each applied segment on a follower). */
  readonly applied$: Observable<number>;
  isFollower(): boolean;
  readonly recovery: RecoveryReport;
  isClosed(): boolean;
  applySegment$(payload: WalSegmentPayload, verified?: DecodedSegment): Observable<ApplyResult>;
  applySegmentGroup$(group: readonly VerifiedPayload[]): Observable<GroupOutcome>;
  installCheckpoint(bytes: Uint8Array): Promise<boolean>;
  checkpoint(): Promise<number>;
  latestCheckpoint(): Promise<StoredCheckpoint | null>;
  noteLeaderStatus(status: LeaderStatus): void;
  stalenessMs(): number;
  retainFrom(seq: number): void;
}

/** `db.replication`: the two sides over one database's public methods and its WAL. */
export class DbReplication implements Replication {
  private furthestStatus: LeaderStatus | null = null;

  constructor(private readonly db: ReplicatedDb) {}

  get shardId(): number {
    return this.db.shardId;
  }

  get epoch(): number {
    return this.db.epoch;
  }

  get epochStartSeq(): number {
    return this.db.epochStartSeq;
  }

  get lastSeq(): number {
    return this.db.lastSeq;
  }

  get sealedThroughSeq(): number {
    return this.db.lastSeq - this.db.wal.unsealedEvents;
  }

  get sealed$(): Observable<WalSegmentPayload> {
    return merge(this.db.wal.sealed$, storedSegments$(this.db));
  }

  get sealedSegmentCount(): number {
    return this.db.wal.sealedSegments.length;
  }

  get recoveredCheckpointSeq(): number {
    return this.db.recovery.checkpointSeq;
  }

  get knownLeaderSeq(): number {
    return this.db.knownLeaderSeq;
  }

  get leaderStatus(): LeaderStatus | null {
    return this.furthestStatus;
  }

  isClosed(): boolean {
    return this.db.isClosed();
  }

  seal$(): Observable<WalSegmentPayload | null> {
    return defer(() => from(this.db.wal.seal()));
  }

  nextSegment$(after: number): Observable<WalSegmentPayload> {
    return defer(() => this.db.wal.nextSegment$(after));
  }

  latestCheckpoint$(): Observable<StoredCheckpoint | null> {
    return defer(() => from(this.db.latestCheckpoint()));
  }

  retainFrom(seq: number): void {
    this.db.retainFrom(seq);
  }

  checkpoint$(): Observable<number> {
    return defer(() => from(this.db.checkpoint()));
  }

  applySegment$(payload: WalSegmentPayload, verified?: DecodedSegment): Observable<ApplyResult> {
    return this.db.applySegment$(payload, verified);
  }

  applySegmentGroup$(group: readonly VerifiedPayload[]): Observable<GroupOutcome> {
    return this.db.applySegmentGroup$(group);
  }

  installCheckpoint$(bytes: Uint8Array): Observable<boolean> {
    return defer(() => from(this.db.installCheckpoint(bytes)));
  }

  noteLeaderStatus(status: LeaderStatus): void {
    this.db.noteLeaderStatus(status);
    const f = this.furthestStatus;
    if (!f || status.lastSeq > f.lastSeq || (status.lastSeq === f.lastSeq && status.atMs > f.atMs)) this.furthestStatus = { lastSeq: status.lastSeq, atMs: status.atMs };
  }

  stalenessMs(): number {
    return this.db.stalenessMs();
  }
}

/**
 * A follower's stored segments, as they land: on each move of its mark
 * (applied$, after the segment was stored), every retained segment after
 * the last one emitted, up to the mark, read back from the log as stored.
 * Nothing while the database is a leader (its own seals come on
 * wal.sealed$). A checkpoint installed here moves the mark with no segment:
 * the next emission starts at the first segment after it.
 *
 *   stored   :  --a----b--c----(checkpoint to 90)--d--
 *   applied$ :  --1----2--3----90-----------------91-
 *   result   :  --a----b--c-----------------------d--
 */
function storedSegments$(db: ReplicatedDb): Observable<WalSegmentPayload> {
  return defer(() => {
    let emittedThrough = db.lastSeq;
    return db.applied$.pipe(
      filter(() => db.isFollower()),
      concatMap((mark) => db.wal.nextSegment$(emittedThrough).pipe(
        expand((s) => (s.lastSeq < mark ? db.wal.nextSegment$(s.lastSeq) : EMPTY)),
        takeWhile((s) => s.lastSeq <= mark),
        tap((s) => (emittedThrough = Math.max(emittedThrough, s.lastSeq))),
        // A segment this node cannot read back is the shipper's to report (it reads it again): no wake is fatal.
        catchError(() => EMPTY),
      )),
    );
  });
}
