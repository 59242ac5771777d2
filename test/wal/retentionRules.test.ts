import { describe, expect, it } from 'vitest';
import { Checksum } from '../../src/checksum.js';
import { RetentionRules } from '../../src/wal/retentionRules.js';
import type { SealedSegmentInfo } from '../../src/wal/walSegmentPayload.js';

function seg(segmentId: number, firstSeq: number, lastSeq: number, byteLength = 100): SealedSegmentInfo {
  return { segmentId, firstSeq, lastSeq, sealedAtMs: 0, byteLength, checksum: Checksum.of(new Uint8Array([segmentId])), metaKey: '' };
}

const list = [seg(1, 1, 10), seg(2, 11, 20), seg(3, 21, 30)];

describe('RetentionRules', () => {
  it('never drops a segment the checkpoint does not cover', () => {
    const drop = new RetentionRules().begin({ checkpointSeq: 15, keepSegments: 0, maxRetainedBytes: 0, neededAfterSeq: Infinity }, list, () => 3);
    expect(drop(list[0]!, 300)).toBe(true);
    expect(drop(list[1]!, 200)).toBe(false);
  });

  it('keeps a segment a follower still needs, unless the byte cap is exceeded', () => {
    const rules = new RetentionRules();
    const drop = rules.begin({ checkpointSeq: 30, keepSegments: 0, maxRetainedBytes: 250, neededAfterSeq: 5 }, list, () => 3);
    expect(drop(list[0]!, 300)).toBe(true); // over the cap
    expect(drop(list[1]!, 200)).toBe(false); // under the cap, and the follower has acked only 5
  });

  it('keeps keepSegments when nothing else forces a drop', () => {
    let count = 3;
    const drop = new RetentionRules().begin({ checkpointSeq: 30, keepSegments: 2, maxRetainedBytes: Infinity, neededAfterSeq: Infinity }, list, () => count);
    expect(drop(list[0]!, 300)).toBe(true);
    count = 2;
    expect(drop(list[1]!, 200)).toBe(false);
  });

  it('counts the bytes no checkpoint covers, and applies the last byte cap between checkpoints', () => {
    const rules = new RetentionRules();
    rules.begin({ checkpointSeq: 20, keepSegments: 0, maxRetainedBytes: 250, neededAfterSeq: Infinity }, list, () => 3);
    expect(rules.bytesSinceRetention).toBe(100); // segment 3
    expect(rules.afterNewSegment(100, 200, list[0])).toBeNull(); // under the cap
    expect(rules.bytesSinceRetention).toBe(200);
    const drop = rules.afterNewSegment(100, 400, list[0])!;
    expect(drop(list[0]!, 400)).toBe(true);
    expect(drop(list[2]!, 400)).toBe(false); // not covered by the checkpoint at 20
  });

  it('has no cap between checkpoints when the last pass had none', () => {
    const rules = new RetentionRules();
    rules.begin({ checkpointSeq: 30, keepSegments: 0, maxRetainedBytes: Infinity, neededAfterSeq: Infinity }, list, () => 3);
    expect(rules.afterNewSegment(100, 1e12, list[0])).toBeNull();
  });
});
