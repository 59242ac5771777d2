/**
 * ShipmentAssembler: puts a shipment cut into parts (jetStreamHeaders.ts)
 * back together on the follower. A small state machine, no I/O: parts in,
 * in stream order; whole shipments, or what had to be dropped, out.
 *
 *   0/3 ─▶ partial    1/3 ─▶ partial    2/3 ─▶ complete (bytes, all three tokens)
 *   0/3 ─▶ partial    0/2 ─▶ dropped (the first, abandoned) + partial
 *   1/3 (nothing before it) ─▶ dropped
 *
 * A part 0 always starts a shipment afresh: a leader that stopped half way
 * through publishes the whole shipment again. Parts must come in order,
 * with the same labels; the bytes held are bounded by `maxShipmentBytes`
 * (checked against the declared size before anything is kept). Each part
 * carries a token (the message, to ack or terminate later); a step hands
 * back the tokens it is done with.
 */
import { WalError } from '../../src/index.js';
import type { ShipmentHead } from './jetStreamHeaders.js';

/** What one part led to. */
export type AssemblyStep<T> =
  /** Held; more parts are to come. */
  | { readonly kind: 'partial' }
  /** The whole shipment, and the tokens of all its parts. */
  | { readonly kind: 'complete'; readonly head: ShipmentHead; readonly bytes: Uint8Array; readonly tokens: readonly T[] }
  /** Parts that can never make a shipment, and why. */
  | { readonly kind: 'dropped'; readonly tokens: readonly T[]; readonly error: WalError };

interface Assembling<T> {
  readonly head: ShipmentHead;
  readonly chunks: Uint8Array[];
  readonly tokens: T[];
  received: number;
}

export class ShipmentAssembler<T> {
  private partial: Assembling<T> | null = null;

  /** @param maxShipmentBytes the largest shipment accepted, in bytes; a larger one is dropped unread */
  constructor(readonly maxShipmentBytes: number) {}

  /** Bytes held for the shipment being assembled. */
  get heldBytes(): number {
    return this.partial?.received ?? 0;
  }

  /**
   * Takes the next part. Returns one step, or two when the part also ends a
   * shipment that could not be completed (that one's `dropped` first).
   *
   * @param where names the message in errors, e.g. 'stream message 42'
   */
  accept(head: ShipmentHead, data: Uint8Array, token: T, where: string): AssemblyStep<T>[] {
    if (head.totalBytes > this.maxShipmentBytes) {
      return [...this.abandon(where), dropped([token], `${where}: a ${describe(head)} of ${head.totalBytes} bytes is larger than maxShipmentBytes (${this.maxShipmentBytes})`)];
    }
    const held = this.partial;
    if (held && (head.partIndex !== held.tokens.length || !sameShipment(held.head, head))) {
      const steps = this.abandon(where);
      if (head.partIndex !== 0) return [...steps, dropped([token], `${where}: part ${head.partIndex}/${head.partCount} of a ${describe(head)} without the parts before it`)];
      return [...steps, ...this.accept(head, data, token, where)];
    }
    if (!held && head.partIndex !== 0) {
      return [dropped([token], `${where}: part ${head.partIndex}/${head.partCount} of a ${describe(head)} without the parts before it`)];
    }
    const partial = held ?? { head, chunks: [], tokens: [], received: 0 };
    partial.chunks.push(data);
    partial.tokens.push(token);
    partial.received += data.length;
    this.partial = partial;
    const last = head.partIndex === head.partCount - 1;
    if (partial.received > head.totalBytes || (last && partial.received !== head.totalBytes)) {
      this.partial = null;
      return [dropped(partial.tokens, `${where}: a ${describe(head)} declares ${head.totalBytes} bytes, its ${head.partIndex + 1} of ${head.partCount} parts hold ${partial.received}`)];
    }
    if (!last) return [{ kind: 'partial' }];
    this.partial = null;
    const bytes = partial.chunks.length === 1 ? partial.chunks[0]! : Buffer.concat(partial.chunks);
    return [{ kind: 'complete', head, bytes, tokens: partial.tokens }];
  }

  private abandon(where: string): AssemblyStep<T>[] {
    const held = this.partial;
    if (!held) return [];
    this.partial = null;
    return [dropped(held.tokens, `${where}: the ${describe(held.head)} stopped after part ${held.tokens.length - 1}/${held.head.partCount} (another shipment's part came next)`)];
  }
}

function sameShipment(a: ShipmentHead, b: ShipmentHead): boolean {
  return a.kind === b.kind && a.checksum.equals(b.checksum) && a.totalBytes === b.totalBytes && a.partCount === b.partCount
    && a.firstSeq === b.firstSeq && a.lastSeq === b.lastSeq && a.forPeer === b.forPeer && a.epoch === b.epoch;
}

function describe(h: ShipmentHead): string {
  return h.kind === 'segment' ? `segment ${h.segmentId} (seqnos ${h.firstSeq}..${h.lastSeq})` : `checkpoint at seqno ${h.lastSeq}`;
}

function dropped<T>(tokens: readonly T[], message: string): AssemblyStep<T> {
  return { kind: 'dropped', tokens, error: new WalError('Corruption', message) };
}
