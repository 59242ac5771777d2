/**
 * The merge policy (src/wal/planMerge.ts), on sizes alone: which sealed
 * segments merge, and the bound on the number of segment files it keeps
 * (docs/wal-format.md, "Merging sealed segments"). The log is simulated:
 * segments are pushed as seals would push them, every planned merge is
 * carried out (its size: the inputs' sum less a header and footer per
 * input dropped), and retention drops prefixes as checkpoints would.
 */
import { seededRandom } from '../../streams/seededRandom.js';
import { describe, expect, it } from 'vitest';
import { MIN_SEALED_SEGMENT_BYTES, WAL_MERGE_FAN_IN, WAL_MERGE_MIN_AGE_SEGMENTS } from '../../src/limits.js';
import {
  continues, defaultMergePolicy, isClosed, type MergeCandidate, type MergePolicy, planMerge, walFileBound, zoneBound,
} from '../../src/wal/planMerge.js';

const MiB = 1024 * 1024;
/** A dropped input's header (40 bytes + meta) and footer (56 bytes). */
const PER_SEGMENT_OVERHEAD = 96;

interface Seg extends MergeCandidate {
  readonly byteLength: number;
}

/** A simulated log: pushes, merges as planned, prefix drops; counts bytes written by merges. */
class SimLog {
  readonly segments: Seg[] = [];
  private nextSeq = 1;
  mergedBytes = 0;
  pushedBytes = 0;
  merges = 0;

  constructor(readonly policy: MergePolicy) {}

  push(byteLength: number, meta = 'm', gapBefore = 0): void {
    const firstSeq = this.nextSeq + gapBefore;
    const events = Math.max(1, Math.floor(byteLength / 30));
    this.segments.push({ byteLength, firstSeq, lastSeq: firstSeq + events - 1, metaKey: meta });
    this.nextSeq = firstSeq + events;
    this.pushedBytes += byteLength;
    this.collapse();
  }

  collapse(): void {
    for (let run = planMerge(this.segments, this.policy); run; run = planMerge(this.segments, this.policy)) {
      const inputs = this.segments.slice(run.start, run.end);
      const byteLength = inputs.reduce((n, s) => n + s.byteLength, 0) - PER_SEGMENT_OVERHEAD * (inputs.length - 1);
      this.segments.splice(run.start, inputs.length, {
        byteLength, firstSeq: inputs[0]!.firstSeq, lastSeq: inputs.at(-1)!.lastSeq, metaKey: inputs[0]!.metaKey,
      });
      this.mergedBytes += byteLength;
      this.merges++;
    }
  }

  /** Retention: drops the oldest `n`. */
  dropOldest(n: number): void {
    this.segments.splice(0, n);
  }

  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.byteLength, 0);
  }

  /** Neighbours that can never merge (a change of meta or a seqno gap). */
  get walls(): number {
    let walls = 0;
    for (let i = 1; i < this.segments.length; i++) if (!continues(this.segments[i - 1]!, this.segments[i]!)) walls++;
    return walls;
  }

  /** Segment files: the sealed ones plus the active one. */
  get files(): number {
    return this.segments.length + 1;
  }
}

/** A deterministic PRNG (mulberry32), so a failing case replays. */
const random = seededRandom;

const small = (minAgeSegments = 0, targetBytes = 64 * 1024): MergePolicy => ({ targetBytes, fanIn: WAL_MERGE_FAN_IN, minAgeSegments });

describe('planMerge: which sealed segments merge', () => {
  it('the newest minAgeSegments sealed segments are never merged', () => {
    const log = new SimLog(small(5));
    for (let i = 0; i < 100; i++) {
      log.push(1000);
      expect(log.segments.slice(-5).every((s) => s.byteLength === 1000)).toBe(true);
    }
    expect(log.merges).toBeGreaterThan(0);
  });

  it('segments of equal size merge fanIn at a time: a fanIn-way merge tree', () => {
    const log = new SimLog(small(0, 1 * MiB));
    const sizes: number[][] = [];
    for (let i = 0; i < 4 ** 3; i++) {
      log.push(1000);
      sizes.push(log.segments.map((s) => s.byteLength));
    }
    expect(sizes[2]).toEqual([1000, 1000, 1000]);
    expect(sizes[3]).toEqual([4000 - 3 * PER_SEGMENT_OVERHEAD]);
    expect(sizes[7]).toEqual([4000 - 3 * PER_SEGMENT_OVERHEAD, 4000 - 3 * PER_SEGMENT_OVERHEAD]);
    // At most fanIn - 1 segments of each size wait; 64 pushes take at most 16 + 4 + 1 merges.
    expect(Math.max(...sizes.map((s) => s.length))).toBeLessThanOrEqual(3 * 3 + 1);
    expect(log.merges).toBeLessThanOrEqual(16 + 4 + 1);
  });

  it('a merge never crosses a change of header meta (epoch, region, half-lives) or a seqno gap', () => {
    const log = new SimLog(small());
    for (let i = 0; i < 3; i++) log.push(1000, 'epoch0');
    for (let i = 0; i < 10; i++) log.push(1000, 'epoch1');
    expect(log.segments.slice(0, 3).map((s) => s.metaKey)).toEqual(['epoch0', 'epoch0', 'epoch0']);
    expect(log.segments.slice(3).every((s) => s.metaKey === 'epoch1')).toBe(true);
    const gapped = new SimLog(small());
    for (let i = 0; i < 3; i++) gapped.push(1000);
    for (let i = 0; i < 10; i++) gapped.push(1000, 'm', i === 0 ? 50 : 0);
    expect(gapped.segments.slice(0, 3).map((s) => s.byteLength)).toEqual([1000, 1000, 1000]);
  });

  it('a segment of targetBytes / fanIn or more is closed: a merge writes less than targetBytes plus its newest input', () => {
    const policy = small(0, 64 * 1024);
    const next = random(7);
    const log = new SimLog(policy);
    for (let i = 0; i < 5_000; i++) {
      const size = next() < 0.05 ? 64 * 1024 + Math.floor(next() * 8192) : MIN_SEALED_SEGMENT_BYTES + Math.floor(next() * 6000);
      const before = log.segments.map((s) => s.byteLength);
      log.push(size);
      const grown = log.segments.at(-1)!;
      if (grown.byteLength !== size) expect(grown.byteLength).toBeLessThan(policy.targetBytes + size);
      // Closed segments older than the newest never change.
      const closed = before.slice(0, -1).filter((b) => b * policy.fanIn >= policy.targetBytes);
      expect(log.segments.slice(0, -1).map((s) => s.byteLength).filter((b) => closed.includes(b)).length).toBeGreaterThanOrEqual(closed.length);
    }
  });

  it('for any sizes, the files never exceed walFileBound(retained bytes) and the zone never exceeds zoneBound (random logs)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const policy = small(seed % 3 === 0 ? 8 : 0, [16 * 1024, 64 * 1024, 1 * MiB][seed % 3]!);
      const next = random(seed);
      const log = new SimLog(policy);
      for (let i = 0; i < 4_000; i++) {
        const r = next();
        // Mostly ship-tick segments of many sizes, some bursts past the target, now and then a retention drop.
        const size = r < 0.03 ? policy.targetBytes + Math.floor(next() * 4096) : MIN_SEALED_SEGMENT_BYTES + Math.floor(next() ** 3 * policy.targetBytes / 4);
        log.push(size, i < 2_000 ? 'a' : 'b');
        if (next() < 0.01) log.dropOldest(Math.floor(log.segments.length * next()));
        expect(log.files, `seed ${seed}, push ${i}`).toBeLessThanOrEqual(walFileBound(policy, log.bytes, log.walls));
        expectZoneRule(log, policy);
      }
    }
  });

  it('each byte is rewritten about log_fanIn(targetBytes / segment size) times (3 KiB ship-tick segments, 4 MiB target)', () => {
    const policy = defaultMergePolicy(4 * MiB);
    const log = new SimLog(policy);
    for (let i = 0; i < 20_000; i++) log.push(3 * 1024);
    const rewrites = log.mergedBytes / log.pushedBytes;
    expect(rewrites).toBeLessThanOrEqual(Math.ceil(Math.log(4 * MiB / (3 * 1024)) / Math.log(WAL_MERGE_FAN_IN)) + 1);
    expect(log.files).toBeLessThanOrEqual(walFileBound(policy, log.bytes));
  });

  it('the default bound: 1 + 32 + 37 + floor(4 × retained / maxSegmentBytes) files at 4 MiB segments', () => {
    const policy = defaultMergePolicy(4 * MiB);
    expect(policy).toEqual({ targetBytes: 4 * MiB, fanIn: 4, minAgeSegments: WAL_MERGE_MIN_AGE_SEGMENTS });
    expect(zoneBound(policy)).toBe(37);
    expect(walFileBound(policy, 0)).toBe(70);
    expect(walFileBound(policy, 64 * MiB)).toBe(70 + 64);
    expect(walFileBound(policy, 1024 * MiB)).toBe(70 + 1024);
  });
});

/**
 * After collapsing, the zone holds at most zoneBound segments, and each of
 * its segments but the newest outweighs everything newer in it 1 : fanIn − 1.
 */
function expectZoneRule(log: SimLog, policy: MergePolicy): void {
  const segs = log.segments;
  const newest = segs.length - 1 - policy.minAgeSegments;
  if (newest < 0) return;
  let start = newest;
  while (start > 0 && continues(segs[start - 1]!, segs[start]!) && !isClosed(segs[start - 1]!, policy)) start--;
  expect(newest - start + 1).toBeLessThanOrEqual(zoneBound(policy));
  let after = 0;
  for (let i = newest; i > start; i--) {
    after += segs[i]!.byteLength;
    expect((policy.fanIn - 1) * segs[i - 1]!.byteLength).toBeGreaterThan(after);
  }
}
