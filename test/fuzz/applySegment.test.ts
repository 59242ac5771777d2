/**
 * Fuzzing the follower's public apply path, `TidalDb#applySegment`, with
 * real segments mutated structurally (every checksum inside recomputed,
 * and the payload's own `checksum` = `Checksum.of(bytes)`), with truncation
 * at every offset, and with payload objects whose fields lie about their
 * bytes. The real segments are fuzzed as written (batch format v3) and
 * rewritten as v2 (targets 3..5, applied where 0..2 would be). Each case
 * checks (see segmentApplyCheck.ts):
 *
 * (a) a refusal is a typed error;
 * (b) a refusal leaves everything a reader observes as it was;
 * (c) an acceptance holds valid content only, the same state as a fresh
 *     follower fed the same segments, and reads back and reopens the same.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checksum, type WalSegmentPayload } from '../../src/index.js';
import { FollowerPool } from './followerPool.js';
import { fuzzParameters, runs } from './fuzzParameters.js';
import { payloadOf } from './payloadOf.js';
import { buildRealLog, type RealLog } from './realLog.js';
import { recomputeChecksums } from './recomputeChecksums.js';
import { checkSegmentApply } from './segmentApplyCheck.js';
import { mutateSegment, segmentMutation } from './segmentMutations.js';
import { copyRange } from './segmentParts.js';
import { segmentAsVersion2 } from '../wal/fixtures/encodeBatchV2.js';

/** Cases per CI run (about 1 ms each, a refused case reusing its follower). */
const MUTATION_RUNS = 2500;
const LYING_PAYLOAD_RUNS = 800;
const MALFORMED_PAYLOAD_RUNS = 400;

/**
 * JS values a caller could put in a payload object: wrong types, values
 * String() cannot print, a fake checksum that claims to match anything,
 * buffers that are not Uint8Arrays.
 */
const hostileJsValue: fc.Arbitrary<unknown> = fc.constantFrom<() => unknown>(
  () => null, () => undefined, () => NaN, () => -1, () => 1.5, () => 2 ** 53, () => '1', () => 1n, () => Symbol('s'),
  () => ({ toString: null }), () => Object.create(null), () => [], () => ({}), () => new Date(0), () => () => 1,
  () => ({ matches: () => true, equals: () => true, bytes: new Uint8Array(32), toHex: () => '00'.repeat(32) }),
  () => new ArrayBuffer(8), () => [0x54, 0x44, 0x57, 0x53], () => new DataView(new ArrayBuffer(8)), () => 'TDWS', () => Buffer.from('TDWS'),
).map((make) => make());

let log: RealLog;
let segments: Uint8Array[];
let pool: FollowerPool;
beforeAll(async () => {
  log = await buildRealLog();
  segments = [...log.segments.map((s) => s.bytes), ...log.segments.map((s) => segmentAsVersion2(s.bytes))];
  pool = new FollowerPool(log.segments);
});
afterAll(async () => {
  await pool.closeAll();
});

/** A number a lying payload field could hold. */
const lyingNumber = fc.oneof(
  fc.constantFrom(NaN, Infinity, -1, 0, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: -2, max: 2 }).map((d) => ({ delta: d })),
);

type Lie = Partial<Record<'shardId' | 'segmentId' | 'firstSeq' | 'lastSeq' | 'sealedAtMs', number | { delta: number }>>;

function lyingPayload(honest: WalSegmentPayload, lie: Lie, framing: { offset: number; extra: boolean }): WalSegmentPayload {
  const fields: Record<string, number> = {};
  for (const [k, v] of Object.entries(lie)) {
    const was = honest[k as keyof Lie];
    fields[k] = typeof v === 'number' ? v : was + v!.delta;
  }
  // The bytes as a view into a larger buffer, at an offset, with junk around them.
  const host = new Uint8Array(framing.offset + honest.bytes.length + 8).fill(0x5a);
  host.set(honest.bytes, framing.offset);
  const bytes = host.subarray(framing.offset, framing.offset + honest.bytes.length);
  const payload = { ...honest, ...fields, bytes, checksum: Checksum.of(bytes) };
  return framing.extra ? Object.assign(payload, { byteLength: bytes.length + 1 }) : payload;
}

describe('applySegment fuzzing', () => {
  it(`refuses mutated segments with nothing changed, or accepts only valid, reproducible state (${runs(MUTATION_RUNS)} cases)`, async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: 5 }), segmentMutation, async (target, m) => {
      await checkSegmentApply(pool, log, target % 3, payloadOf(mutateSegment(segments, target, m)));
    }), fuzzParameters(MUTATION_RUNS));
  });

  it('refuses a segment truncated at any offset, checksums recomputed or not, with nothing changed', async () => {
    let cases = 0;
    for (const [target, whole] of segments.entries()) {
      for (let at = 0; at < whole.length; at++) {
        for (const recompute of [false, true]) {
          const cut = copyRange(whole, 0, at);
          const verdict = await checkSegmentApply(pool, log, target % 3, payloadOf(recompute ? recomputeChecksums(cut) : cut));
          expect(verdict, `truncated at ${at} (recomputed: ${recompute})`).toBe('refused');
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(4000);
  });

  it(`refuses payloads whose fields disagree with their bytes (${runs(LYING_PAYLOAD_RUNS)} cases)`, async () => {
    const lie = fc.record({ shardId: lyingNumber, segmentId: lyingNumber, firstSeq: lyingNumber, lastSeq: lyingNumber, sealedAtMs: lyingNumber }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(fc.nat({ max: 2 }), lie, fc.record({ offset: fc.nat({ max: 9 }), extra: fc.boolean() }), async (target, l, framing) => {
      await checkSegmentApply(pool, log, target, lyingPayload(log.segments[target]!, l, framing));
    }), fuzzParameters(LYING_PAYLOAD_RUNS));
  });

  it(`refuses malformed payload objects with a typed error, changing nothing (${runs(MALFORMED_PAYLOAD_RUNS)} cases)`, async () => {
    const field = fc.constantFrom('shardId', 'segmentId', 'firstSeq', 'lastSeq', 'sealedAtMs', 'bytes', 'checksum');
    const overrides = fc.array(fc.tuple(field, hostileJsValue), { minLength: 1, maxLength: 3 });
    const malformed = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.nat({ max: 2 }), overrides).map(([target, o]) => ({ target, payload: { ...log.segments[target]!, ...Object.fromEntries(o) } })) },
      { weight: 1, arbitrary: hostileJsValue.map((payload) => ({ target: 0, payload })) },
    );
    await fc.assert(fc.asyncProperty(malformed, async ({ target, payload }) => {
      const p = payload as WalSegmentPayload;
      await checkSegmentApply(pool, log, target, p && typeof p === 'object' && p.bytes instanceof Uint8Array ? { ...p, bytes: Uint8Array.from(p.bytes) } : p);
    }), fuzzParameters(MALFORMED_PAYLOAD_RUNS));
  });

  it('applies the real segments unchanged (the fixture and harness are sound)', async () => {
    for (const [target, bytes] of segments.entries()) {
      expect(await checkSegmentApply(pool, log, target % 3, payloadOf(Uint8Array.from(bytes)))).toBe('accepted');
    }
  });
});
