/**
 * The `WalSegmentPayload` an honest leader would ship with `bytes`: its
 * fields read from the bytes by the spec's offsets (header segment id at 16,
 * first seqno at 24; footer last seqno and sealed-at in the last 56 bytes),
 * and its checksum `Checksum.of(bytes)`. Fields the bytes cannot give (too
 * short) are 0. `lie` overrides any of them, to test that the receiver
 * checks the payload's fields against its bytes.
 */
import { Checksum } from '../../src/checksum.js';
import type { WalSegmentPayload } from '../../src/index.js';
import { FOOTER_BYTES, view } from './segmentParts.js';

export function payloadOf(bytes: Uint8Array, lie: Partial<WalSegmentPayload> = {}): WalSegmentPayload {
  const v = view(bytes);
  const u64 = (at: number) => (at >= 0 && at + 8 <= bytes.length ? Number(v.getBigUint64(at, true)) : 0);
  const footerAt = bytes.length - FOOTER_BYTES;
  const honest: WalSegmentPayload = {
    shardId: bytes.length >= 12 ? v.getUint32(8, true) : 0,
    segmentId: u64(16),
    firstSeq: u64(24),
    lastSeq: u64(footerAt + 8),
    sealedAtMs: footerAt >= 0 ? v.getFloat64(footerAt + 16, true) : 0,
    bytes,
    checksum: Checksum.of(bytes),
  };
  return { ...honest, ...lie };
}
