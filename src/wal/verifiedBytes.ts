/**
 * Segment bytes whose whole BLAKE3 matched the checksum their sender gave
 * (`WalSegmentPayload.checksum`): a proof object, made only by hashing.
 *
 * `decodeSegment` given one skips the per-batch and footer hashes, which
 * cover nothing the whole-segment hash does not (hash once, issue 9): a
 * follower then hashes a shipped segment once instead of three times. Its
 * structural and content checks all still run. Recovery reads files, which
 * come with no sender's checksum, so it has no such object to pass and
 * every batch and footer hash is checked there: skipping cannot be asked
 * for by a flag set by mistake, only by having hashed these very bytes.
 *
 * @example
 * const verified = VerifiedBytes.check(payload.bytes, payload.checksum);
 * if (verified) decodeSegment(verified, where, 'sealed');
 */
import type { Checksum } from '../checksum.js';

export class VerifiedBytes {
  private constructor(
    /** The bytes that were hashed; they must not change afterwards (verifyPayload owns its copy). */
    readonly bytes: Uint8Array,
    readonly checksum: Checksum,
  ) {}

  /** Hashes `bytes`: the proof when they match `checksum`, null otherwise. */
  static check(bytes: Uint8Array, checksum: Checksum): VerifiedBytes | null {
    return checksum.matches(bytes) ? new VerifiedBytes(bytes, checksum) : null;
  }
}
