/**
 * Hash once (issue 9): a follower that verified the whole-segment BLAKE3 of
 * a shipped segment (WalSegmentPayload.checksum) does not hash each batch
 * payload and the footer again; recovery from disk still checks every
 * batch hash and the footer hash.
 *
 * Shown two ways that fail if the follower hashed again: hashes counted
 * (spies on the checksum module, which the decoder calls across modules),
 * and bytes whose batch and footer checksum fields are garbage while their
 * whole-segment checksum matches: verifyPayload takes them (the structure
 * and content are sound), decodeSegment of plain bytes and recovery from a
 * directory refuse them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as checksum from '../../src/checksum.js';
import { Checksum } from '../../src/checksum.js';
import { WalError } from '../../src/errors.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { FOOTER_BYTES } from '../../src/wal/segmentFooter.js';
import { VerifiedBytes } from '../../src/wal/verifiedBytes.js';
import { verifyPayload } from '../../src/wal/verifyPayload.js';
import type { WalSegmentPayload } from '../../src/wal/walSegmentPayload.js';
import { payloadOf } from '../fuzz/payloadOf.js';
import { recomputeChecksums } from '../fuzz/recomputeChecksums.js';
import { parseHexDump } from './fixtures/hexDump.js';

const golden = () => parseHexDump(fs.readFileSync(fileURLToPath(new URL('../golden/segment.hex', import.meta.url)), 'utf8'));
/** Offsets of the golden segment's batches (two), from the spec: batch checksums at +44..+75. */
const BATCH_OFFSETS = [89, 222];

afterEach(() => {
  vi.restoreAllMocks();
});

/** `bytes` with every batch checksum field and the footer checksum zeroed: only the whole-segment hash can vouch for them. */
function innerChecksumsZeroed(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (const at of BATCH_OFFSETS) out.fill(0, at + 44, at + 76);
  out.fill(0, out.length - 32);
  return out;
}

function expectCorruption(run: () => unknown, message: RegExp): void {
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WalError);
  expect((err as WalError).code).toBe('Corruption');
  expect((err as WalError).message).toMatch(message);
}

describe('a follower hashes a shipped segment once', () => {
  it('verifyPayload hashes the whole segment once and no batch or footer; decodeSegment of plain bytes hashes every batch and the footer', () => {
    const payload = payloadOf(golden());
    const digests = vi.spyOn(checksum, 'blake3Digest');
    const hashers = vi.spyOn(checksum, 'createHasher');
    const wholes = vi.spyOn(Checksum.prototype, 'matches');
    verifyPayload(payload);
    expect({ whole: wholes.mock.calls.length, batches: digests.mock.calls.length, footer: hashers.mock.calls.length }).toEqual({ whole: 1, batches: 0, footer: 0 });
    digests.mockClear();
    decodeSegment(payload.bytes, 'from disk', 'sealed');
    expect({ batches: digests.mock.calls.length, footer: hashers.mock.calls.length }).toEqual({ batches: BATCH_OFFSETS.length, footer: 1 });
  });

  it('bytes whose batch and footer checksums are garbage pass verifyPayload when their whole BLAKE3 matches, and decode to the same events', () => {
    const good = golden();
    const bad = innerChecksumsZeroed(good);
    const decoded = verifyPayload(payloadOf(bad));
    expect(decoded.batches.map((b) => b.events)).toEqual(decodeSegment(good, 'good', 'sealed').batches.map((b) => b.events));
  });

  it('the same bytes are refused when their whole BLAKE3 does not match: that one hash is the check', () => {
    const good = golden();
    const bad = innerChecksumsZeroed(good);
    const lying: WalSegmentPayload = { ...payloadOf(bad), checksum: Checksum.of(good) };
    expectCorruption(() => verifyPayload(lying), /BLAKE3 checksum mismatch over 408 bytes/);
  });

  it('decodeSegment of plain bytes (what recovery reads from disk) refuses them, naming the batch offset', () => {
    const bad = innerChecksumsZeroed(golden());
    expectCorruption(() => decodeSegment(bad, 'from disk', 'sealed'), new RegExp(`batch checksum mismatch at offset ${BATCH_OFFSETS[0]}`));
    expectCorruption(() => decodeSegment(bad, 'from disk', 'active'), new RegExp(`offset ${BATCH_OFFSETS[0]}`));
    // Batch checksums right, footer checksum wrong: the footer is still checked from disk.
    const footerOnly = Uint8Array.from(golden());
    footerOnly.fill(0, footerOnly.length - 32);
    expectCorruption(() => decodeSegment(footerOnly, 'from disk', 'sealed'), new RegExp(`segment checksum mismatch in footer at offset ${footerOnly.length - FOOTER_BYTES}`));
    expect(() => verifyPayload(payloadOf(footerOnly))).not.toThrow();
  });

  it('verified bytes still get every structural and content check: a forgery with every checksum recomputed is refused', () => {
    const lyingCount = Uint8Array.from(golden());
    new DataView(lyingCount.buffer).setUint32(BATCH_OFFSETS[1]! + 12, 4, true); // batch 2 claims 4 events for seqnos 3..5
    expectCorruption(() => verifyPayload(payloadOf(recomputeChecksums(lyingCount))), /claims 4 events for seqnos 3\.\.5/);
    const lyingFooter = Uint8Array.from(golden());
    new DataView(lyingFooter.buffer).setUint32(lyingFooter.length - FOOTER_BYTES + 4, 6, true); // the footer claims 6 events
    expectCorruption(() => verifyPayload(payloadOf(recomputeChecksums(lyingFooter))), /footer at offset \d+ claims 6 events/);
    const runOnVarint = Uint8Array.from(golden());
    // The last column byte of batch 2 ends its last time varint; a high bit there makes the varint run past the end.
    runOnVarint[BATCH_OFFSETS[1]! + 76 + 53] = 0x85;
    expectCorruption(() => verifyPayload(payloadOf(recomputeChecksums(runOnVarint))), /offset 298: .*varint/);
  });

  it('the skip cannot be asked for without hashing: VerifiedBytes exists only for bytes that matched, and only in sealed mode', () => {
    const good = golden();
    expect(VerifiedBytes.check(good, Checksum.of(innerChecksumsZeroed(good)))).toBeNull();
    const verified = VerifiedBytes.check(good, Checksum.of(good))!;
    expect(verified.bytes).toBe(good);
    expect(() => decodeSegment(verified, 'x', 'active')).toThrow(/invariant/);
  });
});

describe('recovery from disk still checks every batch hash', () => {
  it('a directory holding the bytes verifyPayload took refuses to open, naming the file and the batch', async () => {
    const { TidalDb } = await import('../../src/index.js');
    const { tempDir } = await import('../db/tempDirs.js');
    const { segmentFileName } = await import('../../src/wal/segmentStore.js');
    const dir = tempDir('hashonce');
    const file = segmentFileName(3, 1);
    fs.writeFileSync(path.join(dir, file), innerChecksumsZeroed(golden()));
    const opened = TidalDb.open({ dir, shardId: 3, regionId: 'eu-test', halfLifeMs: { '*': 3_600_000, like: 600_000 } });
    await expect(opened).rejects.toBeInstanceOf(WalError);
    await expect(opened).rejects.toMatchObject({ code: 'Corruption', message: expect.stringMatching(new RegExp(`${file}: batch checksum mismatch at offset ${BATCH_OFFSETS[0]}`)) });
  });
});
