import { WalError } from '../errors.js';
import type { ActiveSegment, SegmentBytes, SegmentStore } from './segmentStore.js';

/**
 * Segments held in memory: the same bytes a file store would hold, so an
 * in-memory database seals, ships and checkpoints exactly as a durable one.
 */
export class MemorySegmentStore implements SegmentStore {
  readonly kind = 'memory' as const;
  private readonly segments = new Map<number, Uint8Array>();
  private readonly checkpoints = new Map<number, Uint8Array>();

  async listSegments(): Promise<number[]> {
    return [...this.segments.keys()].sort((a, b) => a - b);
  }

  async readSegment(segmentId: number): Promise<Uint8Array> {
    return this.readSegmentSync(segmentId);
  }

  readSegmentSync(segmentId: number): Uint8Array {
    const bytes = this.segments.get(segmentId);
    if (!bytes) throw new WalError('Io', `segment ${segmentId} is not in memory`);
    return bytes;
  }

  createActive(segmentId: number, header: Uint8Array): ActiveSegment {
    const chunks: Uint8Array[] = [header];
    return {
      segmentId,
      append: (bytes) => void chunks.push(bytes),
      sync: async () => {},
      close: () => void this.segments.set(segmentId, Buffer.concat(chunks)),
    };
  }

  async reopenActive(segmentId: number, length: number): Promise<ActiveSegment> {
    const bytes = this.readSegmentSync(segmentId).subarray(0, length);
    this.segments.delete(segmentId);
    return this.createActive(segmentId, bytes);
  }

  async writeSegment(segmentId: number, bytes: Uint8Array): Promise<void> {
    this.writeSegmentSync(segmentId, bytes);
  }

  writeSegmentSync(segmentId: number, bytes: Uint8Array): true {
    this.segments.set(segmentId, bytes);
    return true;
  }

  async appendSealed(group: readonly SegmentBytes[]): Promise<void> {
    this.appendSealedSync(group);
  }

  appendSealedSync(group: readonly SegmentBytes[]): true {
    for (const { segmentId, bytes } of group) this.segments.set(segmentId, bytes);
    return true;
  }

  async removeSegment(segmentId: number): Promise<void> {
    this.segments.delete(segmentId);
  }

  async listCheckpoints(): Promise<number[]> {
    return [...this.checkpoints.keys()].sort((a, b) => a - b);
  }

  async readCheckpoint(seq: number): Promise<Uint8Array> {
    const bytes = this.checkpoints.get(seq);
    if (!bytes) throw new WalError('Io', `checkpoint ${seq} is not in memory`);
    return bytes;
  }

  async writeCheckpoint(seq: number, bytes: Uint8Array): Promise<void> {
    this.checkpoints.set(seq, bytes);
  }

  async removeCheckpoint(seq: number): Promise<void> {
    this.checkpoints.delete(seq);
  }

  async close(): Promise<void> {}
}
