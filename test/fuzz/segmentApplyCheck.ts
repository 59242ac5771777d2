/**
 * The follower-side properties of one (possibly forged) segment, applied
 * with the public `TidalDb#applySegment`:
 *
 * (a) a refusal is a typed error;
 * (b) a refusal changes nothing a reader can observe;
 * (c) an acceptance is of valid content only: the bytes decode, every event
 *     and the header meta could have come from the write API, the payload's
 *     fields agree with its bytes, the state reads back without NaN or
 *     malformed strings; a fresh follower fed the same segments reaches the
 *     same state; the WAL reads the segment back byte for byte even after
 *     the caller scribbles over its buffer; and a reopen from the store
 *     reaches the same state again.
 *
 * Hash once (issue 9): a follower checks a shipped segment's whole BLAKE3
 * (the payload's checksum) and not its batch and footer hashes, which that
 * one covers. So bytes an honest-looking leader checksummed *after* they
 * were damaged (a byte-level mutation without `recompute`) are taken when
 * their structure and content hold. What is checked for those instead: the
 * decode hash once makes holds valid content, and a reopen from the store,
 * which hashes every batch, refuses the stored file with a typed
 * Corruption (or no longer needs it) rather than reaching another state.
 */
import { expect } from 'vitest';
import { Checksum, type WalSegmentPayload } from '../../src/index.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { VerifiedBytes } from '../../src/wal/verifiedBytes.js';
import { copyOf, type FollowerPool, type PooledFollower } from './followerPool.js';
import { invalidObservation, observe, type Probes, valuesInSegment, withProbesFrom } from './followerObservation.js';
import { asyncOutcomeOf, outcomeOf } from './typedErrors.js';
import { invalidEvent, invalidHeaderMeta } from './validContent.js';

export type ApplyVerdict = 'refused' | 'accepted';

/**
 * Applies `payload` to a follower that holds the real log's first `at`
 * segments (from `pool`), and checks the properties above; `probes` are the
 * real log's ids, types and times.
 */
export async function checkSegmentApply(
  pool: FollowerPool, probes: Probes, at: number, payload: WalSegmentPayload,
): Promise<ApplyVerdict> {
  return pool.check(at, (follower) => checkOn(pool, follower, probes, at, payload));
}

async function checkOn(pool: FollowerPool, follower: PooledFollower, probes: Probes, at: number, payload: WalSegmentPayload): Promise<ApplyVerdict> {
  const bytes: unknown = (payload as { bytes?: unknown } | null)?.bytes; // a malformed payload may have none
  const probe = withProbesFrom(probes, bytes instanceof Uint8Array ? valuesInSegment(bytes) : []);
  const before = observe(follower.db, probe);
  const outcome = await asyncOutcomeOf('applySegment', () => follower.db.applySegment(payload));
  if (!outcome.ok) {
    expect(observe(follower.db, probe), `refused with ${outcome.error.message}, but the state changed`).toEqual(before);
    return 'refused';
  }
  pool.discard(at);
  const accepted = Uint8Array.from(payload.bytes);
  const innerHashesHold = checkAcceptedContent(payload, accepted);
  const after = observe(follower.db, probe);
  expect(invalidObservation(after), 'accepted segment left an invalid state').toBeNull();

  // The same segments on a fresh follower give the same state.
  const fresh = await pool.fresh(at);
  const again = await asyncOutcomeOf('applySegment (fresh follower)', () => fresh.db.applySegment({ ...payload, bytes: Uint8Array.from(accepted) }));
  expect(again.ok, 'a fresh follower refused what this one accepted').toBe(true);
  expect(observe(fresh.db, probe)).toEqual(after);
  await pool.close(fresh.db);

  if (!innerHashesHold) {
    await checkReopenRefuses(pool, follower, probe, after);
    return 'accepted';
  }
  // The caller's buffer is the caller's: scribbling on it changes nothing stored.
  payload.bytes.fill(0xaa);
  await checkReadBack(follower.db, accepted, payload);
  const reopened = await pool.open(follower.store);
  expect(observe(reopened, probe), 'a reopen from the store reached another state').toEqual(after);
  await pool.close(reopened);
  await pool.close(follower.db);
  return 'accepted';
}

/**
 * The accepted bytes must decode as the follower decoded them (hash once:
 * whole checksum, no batch or footer hashes), hold only valid content, and
 * agree with the payload's fields. Returns whether their batch and footer
 * hashes hold too (whether recovery from disk would take them).
 */
function checkAcceptedContent(payload: WalSegmentPayload, bytes: Uint8Array): boolean {
  const copy = Uint8Array.from(bytes);
  const verified = VerifiedBytes.check(copy, Checksum.of(copy))!;
  const decoded = outcomeOf('decodeSegment of accepted bytes (hash once)', () => decodeSegment(verified, 'accepted', 'sealed'));
  if (!decoded.ok) throw new Error(`applySegment accepted a segment decodeSegment refuses: ${decoded.error.message}`);
  const { header, footer, batches, lastSeq } = decoded.value;
  expect(invalidHeaderMeta(header), 'accepted header meta').toBeNull();
  for (const b of batches) for (const e of b.events) expect(invalidEvent(e), `accepted event ${e.seq}`).toBeNull();
  expect({
    shardId: payload.shardId, segmentId: payload.segmentId, firstSeq: payload.firstSeq, lastSeq: payload.lastSeq, sealedAtMs: payload.sealedAtMs,
  }, 'accepted payload fields disagree with its bytes').toEqual({
    shardId: header.shardId, segmentId: header.segmentId, firstSeq: header.firstSeq, lastSeq, sealedAtMs: footer?.sealedAtMs,
  });
  return outcomeOf('decodeSegment of accepted bytes, every hash', () => decodeSegment(Uint8Array.from(bytes), 'accepted', 'sealed')).ok;
}

/**
 * A follower holding a segment whose batch or footer hashes are wrong (its
 * leader's whole checksum vouched for the bytes): a reopen checks every
 * hash, so it refuses with a typed error, or reaches the same state when
 * the segment is no longer needed (a checkpoint covers it).
 */
async function checkReopenRefuses(pool: FollowerPool, follower: PooledFollower, probe: Probes, after: unknown): Promise<void> {
  await pool.close(follower.db);
  const reopened = await asyncOutcomeOf('reopen of a follower storing bytes with wrong inner hashes', () => pool.open(follower.store));
  if (reopened.ok) {
    expect(observe(reopened.value, probe), 'a reopen from the store reached another state').toEqual(after);
    await pool.close(reopened.value);
  } else {
    expect((reopened.error as { code?: unknown }).code, reopened.error.message).toBe('Corruption');
  }
}

/** Every sealed segment the WAL reads back verifies, decodes, and matches its index entry; the accepted one is byte-identical. */
async function checkReadBack(db: Awaited<ReturnType<FollowerPool['open']>>, accepted: Uint8Array, payload: WalSegmentPayload): Promise<void> {
  const infos = db.wal.sealedSegments;
  const readBack: WalSegmentPayload[] = [];
  const read = await asyncOutcomeOf('sealedSegmentsSince', async () => {
    for await (const p of db.wal.sealedSegmentsSince(0)) readBack.push(copyOf(p));
  });
  expect(read.ok, `reading back failed: ${read.ok ? '' : read.error.message}`).toBe(true);
  expect(readBack.map((p) => p.segmentId)).toEqual(infos.map((i) => i.segmentId));
  for (const [i, p] of readBack.entries()) {
    const info = infos[i]!;
    expect(p.checksum.matches(p.bytes), `segment ${p.segmentId} read back does not match its checksum`).toBe(true);
    const d = decodeSegment(p.bytes, `read back ${p.segmentId}`, 'sealed');
    expect({ segmentId: info.segmentId, firstSeq: info.firstSeq, lastSeq: info.lastSeq, sealedAtMs: info.sealedAtMs, byteLength: info.byteLength })
      .toEqual({ segmentId: d.header.segmentId, firstSeq: d.header.firstSeq, lastSeq: d.lastSeq, sealedAtMs: d.footer?.sealedAtMs, byteLength: p.bytes.length });
    expect(info.checksum.equals(Checksum.of(p.bytes))).toBe(true);
  }
  const stored = readBack.find((p) => p.segmentId === payload.segmentId);
  if (stored) expect(Buffer.from(stored.bytes).equals(Buffer.from(accepted)), 'stored bytes changed with the caller\'s buffer').toBe(true);
}
