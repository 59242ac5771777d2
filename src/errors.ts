/**
 * Typed errors. Every error tidaldb throws or rejects with is one of these
 * classes, with a stable `code` callers can switch on and a message naming
 * the field, file, offset or value that was wrong.
 */

/** Codes of {@link TidalError}: misuse of the database API. */
export type TidalErrorCode =
  | 'InvalidInput' // a bad argument or option; nothing was written
  | 'ReadOnly' // a write on a follower
  | 'Closed' // use after close()
  | 'Stale' // a read whose maxStaleMs the follower knows it cannot honour
  | 'Timeout' // waitFor() ran past its timeoutMs
  | 'Failed' // the database stopped accepting writes after an I/O failure
  | 'ConfigMismatch' // recorded configuration (half-lives, shard) differs from what was asked
  | 'Fenced' // a segment or leader from an older epoch than this node has seen
  | 'Diverged' // this follower holds events a newer epoch's leader does not: it needs a rebuild
  | 'Locked' // another database (this process or another) holds the directory
  | 'UnknownPeer' // a leader refused a follower whose peer id is not in its follower set
  | 'PeerInUse' // a leader refused a second live connection under a peer id it already serves
  | 'NotTidalDb' // the other end of a connection does not speak the tidaldb protocol (an HTTP server, TLS on one side only)
  | 'AuthFailed' // a peer could not prove it knows the shared token (either direction)
  | 'TooManyRequests' // a replica worker already has maxInFlightRequests reads unanswered: nothing was sent
  | 'ReplicationTimeout'; // waitForFollowers ran past its timeoutMs: the write is committed on the leader, not rolled back

/** Codes of {@link WalError}: the write-ahead log's bytes or storage. */
export type WalErrorCode =
  | 'Corruption' // bytes that fail a checksum or the format
  | 'Gap' // a segment or event that would skip sequence numbers
  | 'Io'; // the file system failed

/** An error in how the database was used (bad input, read-only, closed, stale). */
export class TidalError extends Error {
  override readonly name = 'TidalError';
  constructor(
    readonly code: TidalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a {@link ReplicationTimeoutError} carries: the write stays committed on the leader; who had acked it. */
export interface ReplicationTimeoutDetails {
  /** Always true: a quorum wait never rolls a write back (unlike MySQL semi-sync falling back silently, it says so). */
  readonly committedLocally: true;
  /** The followers that had reached the seqno at the asked level when the wait gave up, in the order they joined. */
  readonly acked: readonly string[];
}

/**
 * `TidalError` with code `'ReplicationTimeout'`: fewer followers than asked
 * reached the seqno within `timeoutMs`. The write is committed and durable
 * on the leader (`details.committedLocally`); retrying the write would
 * duplicate it, so retry the wait, not the write.
 */
export class ReplicationTimeoutError extends TidalError {
  constructor(message: string, readonly details: ReplicationTimeoutDetails) {
    super('ReplicationTimeout', message);
  }
}

/** An error in the write-ahead log: corrupt bytes, a sequence gap, or I/O. */
export class WalError extends Error {
  override readonly name = 'WalError';
  constructor(
    readonly code: WalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Programmer errors: a broken invariant fails loudly. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`tidaldb invariant violated: ${message}`);
}
