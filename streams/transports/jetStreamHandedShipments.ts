/**
 * HandedShipments: what a JetStream follower end has handed to its pipeline
 * and not yet settled, and when each is settled. No I/O: it says which
 * stored messages to ack and which to terminate; the end sends the replies.
 *
 *   take(d)            d handed out (the pipeline validates and applies it)
 *   applied(seq)       ─▶ ack every handed shipment whose last seqno ≤ seq (the follower holds it, durably)
 *   movedOn()          ─▶ terminate every one still handed: the pipeline took the next without acking it (refused)
 *
 * The pipeline takes one shipment at a time and reports (feedback) before it
 * takes the next, so by the next take each one is either acked or refused.
 */
import { type Shipment, shipmentLastSeq } from '../shipment.js';

/** A whole shipment and the stored messages it came in (its parts): settled together. */
export interface Delivery<M> {
  readonly shipment: Shipment;
  readonly messages: readonly M[];
}

export class HandedShipments<M> {
  private handed: Delivery<M>[] = [];

  /** Shipments handed out and not settled. */
  get size(): number {
    return this.handed.length;
  }

  take(d: Delivery<M>): void {
    this.handed.push(d);
  }

  /** The messages of every handed shipment the follower has now applied through `appliedSeq`: to ack. */
  applied(appliedSeq: number): M[] {
    const done = this.handed.filter((d) => shipmentLastSeq(d.shipment) <= appliedSeq);
    if (done.length === 0) return [];
    this.handed = this.handed.filter((d) => shipmentLastSeq(d.shipment) > appliedSeq);
    return done.flatMap((d) => d.messages);
  }

  /** The messages of every shipment still handed when the pipeline takes the next: refused, to terminate. */
  movedOn(): M[] {
    const refused = this.handed;
    this.handed = [];
    return refused.flatMap((d) => d.messages);
  }
}
