/**
 * The quorum wait behind `WalShipper.waitForFollowers$`: resolves once
 * `count` followers in the set have reached `seq` at `level`, read from the
 * leader's book of followers. It seals at once (it never waits for a ship
 * tick), and it always ends: `timeoutMs` is required.
 *
 *   book     : -b----b----b---------    (feedback moves the marks)
 *   sealNow  : -s                       (on subscribe, unless already acked)
 *   result   : -----------(a|)          ({ acked } once count followers are at seq)
 *   timeout  : ----------------#        (ReplicationTimeout { committedLocally: true, acked })
 *
 * What users of other databases trip on, and what this does instead:
 * PostgreSQL's synchronous commit has no timeout (timeoutMs is required);
 * Redis WAIT returns a count callers forget to check (too few is an error,
 * never a short answer); MySQL semi-sync falls back to async in silence (a
 * timeout says so, and says the write is committed on the leader); Kafka's
 * NotEnoughReplicasAfterAppend invites a retry that duplicates (the error
 * says committedLocally: retry the wait, not the write).
 */
import { defer, filter, finalize, map, type Observable, of, type SchedulerLike, take, tap, throwError, throwIfEmpty, timeout } from 'rxjs';
import { ReplicationTimeoutError, TidalError } from '../src/errors.js';
import type { MetricsState } from '../src/index.js';
import { type AckLevel, type FollowerBook, followersAt } from './followerBookStep.js';
import { type QuorumWaitOutcome, recordQuorumWait } from './quorumWaitMetrics.js';
import type { PeerId } from './transport.js';

/** The options of `waitForFollowers`: how many followers, at which level, within how long. */
export interface WaitForFollowersOptions {
  /** How many followers in the set must reach the seqno; 0 resolves at once; more than the set is InvalidInput. */
  readonly count: number;
  /** 'received' (validated there), 'durable' (fsynced there) or 'applied' (readable there). */
  readonly level: AckLevel;
  /** Required: give up after this many ms with ReplicationTimeout. There is no wait-forever. */
  readonly timeoutMs: number;
  /** Runs the timeout (and measures the wait) in virtual time under a TestScheduler. */
  readonly scheduler?: SchedulerLike;
}

/** What a quorum wait resolves with: the followers at the seqno when it resolved, in the order they joined (at least `count`). */
export interface QuorumAck {
  readonly acked: readonly PeerId[];
}

/** What the wait reads from the leader: its book (completes when the shipper stops), a seal, its position, its metrics. */
export interface QuorumSource {
  readonly book: Observable<FollowerBook> & { readonly value: FollowerBook };
  sealNow(): void;
  readonly lastSeq: number;
  readonly metrics: Pick<MetricsState, 'inc'>;
  readonly scheduler: SchedulerLike;
}

const LEVELS: ReadonlySet<string> = new Set<AckLevel>(['received', 'durable', 'applied']);

/** Cold: each subscription checks its input, seals, and waits. */
export function waitForFollowers$(source: QuorumSource, seq: number, options: WaitForFollowersOptions): Observable<QuorumAck> {
  return defer((): Observable<QuorumAck> => {
    const invalid = invalidInput(source, seq, options);
    if (invalid) return throwError(() => invalid);
    const { count, level, timeoutMs } = options;
    const scheduler = options.scheduler ?? source.scheduler;
    const reached = (book: FollowerBook) => followersAt(book, seq, level);
    const startMs = scheduler.now();
    let outcome: QuorumWaitOutcome = 'cancelled';
    const record = finalize<QuorumAck>(() => recordQuorumWait(source.metrics, level, outcome, Math.max(0, scheduler.now() - startMs) / 1000));
    if (reached(source.book.value).length >= count) {
      outcome = 'acked';
      return of({ acked: reached(source.book.value) }).pipe(record);
    }
    source.sealNow();
    return source.book.pipe(
      map(reached),
      filter((acked) => acked.length >= count),
      take(1),
      map((acked): QuorumAck => ({ acked })),
      throwIfEmpty(() => new TidalError('Closed', `waitForFollowers: the shipper stopped before ${count} followers reached seqno ${seq} (${level})`)),
      timeout({
        first: timeoutMs, scheduler,
        with: () => throwError(() => {
          const acked = reached(source.book.value);
          return new ReplicationTimeoutError(`waitForFollowers: ${acked.length} of ${count} followers reached seqno ${seq} (${level}) within ${timeoutMs} ms`
            + ` (acked: ${acked.join(', ') || 'none'}); the write is committed on the leader, not rolled back`, { committedLocally: true, acked });
        }),
      }),
      tap({
        next: () => { outcome = 'acked'; },
        error: (e: unknown) => { outcome = e instanceof ReplicationTimeoutError ? 'timeout' : 'closed'; },
      }),
      record,
    );
  });
}

/** The InvalidInput error for a bad seq or option, naming the value; null when all are good. */
function invalidInput(source: QuorumSource, seq: number, options: WaitForFollowersOptions): TidalError | null {
  const bad = (message: string) => new TidalError('InvalidInput', `waitForFollowers: ${message}`);
  if (!Number.isSafeInteger(seq) || seq < 0) return bad(`seq must be an integer >= 0, got ${String(seq)}`);
  if (seq > source.lastSeq) return bad(`seq ${seq} is past the leader's last seqno ${source.lastSeq}`);
  if (typeof options !== 'object' || options === null) return bad('options { count, level, timeoutMs } are required');
  const { count, level, timeoutMs } = options;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    return bad(`timeoutMs is required, a finite number of ms >= 0 (there is no wait-forever), got ${String(timeoutMs)}`);
  }
  if (typeof level !== 'string' || !LEVELS.has(level)) return bad(`level must be 'received', 'durable' or 'applied', got ${String(level)}`);
  if (!Number.isSafeInteger(count) || count < 0) return bad(`count must be an integer >= 0, got ${String(count)}`);
  const members = source.book.value.followers.size;
  if (count > members) return bad(`count ${count} is more than the ${members} followers in the set`);
  return null;
}
