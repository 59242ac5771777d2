/** The JetStream ends' small bookkeeping, pure: the leader's send queue and the follower's handed shipments. */
import { Subscriber } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { checkpointShipment } from '../../../streams/shipment.js';
import { HandedShipments } from '../../../streams/transports/jetStreamHandedShipments.js';
import { JetStreamSendQueue } from '../../../streams/transports/jetStreamSendQueue.js';

const shipment = (seq: number) => checkpointShipment(0, seq, new Uint8Array([seq & 0xff]));

function recorder() {
  const seen: string[] = [];
  const subscriber = (name: string) => new Subscriber<void>({
    next: () => seen.push(`${name} next`), complete: () => seen.push(`${name} done`), error: (e: Error) => seen.push(`${name} ${e.message}`),
  });
  return { seen, subscriber };
}

describe('JetStreamSendQueue', () => {
  it('publishes in order, one at a time; beyond capacity sends wait and are admitted as others finish', () => {
    const { seen, subscriber } = recorder();
    const q = new JetStreamSendQueue(2);
    const a = q.add('f1', shipment(1), subscriber('a'));
    const b = q.add('f1', shipment(2), subscriber('b'));
    q.add('f2', shipment(3), subscriber('c'));
    expect([q.size, q.waitingSends]).toEqual([2, 1]);
    expect(q.take()).toBe(a);
    expect(q.take()).toBeNull(); // one in progress at a time
    q.done(a);
    expect([q.size, q.waitingSends]).toEqual([2, 0]);
    expect(q.take()).toBe(b);
    q.putBack(b); // the session ended: b is first again
    expect(q.take()).toBe(b);
    q.close(new Error('closed'));
    expect(seen).toEqual(['a next', 'a done', 'b closed', 'c closed']);
  });

  it('a withdrawn send leaves the queue unless it is being published, which finishes untold', () => {
    const { seen, subscriber } = recorder();
    const q = new JetStreamSendQueue(1);
    const a = q.add('f1', shipment(1), subscriber('a'));
    const b = q.add('f1', shipment(2), subscriber('b'));
    expect(q.take()).toBe(a);
    q.withdraw(a);
    q.withdraw(b);
    expect([q.size, q.waitingSends]).toEqual([1, 0]);
    q.done(a);
    expect([q.size, q.take()]).toEqual([0, null]);
    expect(seen).toEqual(['a next', 'a done']); // told here only because this test's subscriber stayed open
  });
});

describe('HandedShipments', () => {
  it('acks what the follower applied; terminates what it moved on from without applying', () => {
    const handed = new HandedShipments<string>();
    handed.take({ shipment: shipment(10), messages: ['m1', 'm2'] });
    handed.take({ shipment: shipment(20), messages: ['m3'] });
    expect(handed.applied(5)).toEqual([]);
    expect(handed.applied(10)).toEqual(['m1', 'm2']);
    expect(handed.size).toBe(1);
    expect(handed.movedOn()).toEqual(['m3']);
    expect(handed.size).toBe(0);
  });
});
