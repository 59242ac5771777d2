/**
 * One real message of every type of the TCP protocol
 * (docs/tcp-protocol.md), built by the transport's own constructors where
 * it has them (`helloFor`, `welcomeFor`, `shipmentMessage`), with a real
 * sealed segment and a real checkpoint from the real log: the seeds the
 * frame fuzzers mutate.
 */
import { TidalDb } from '../../src/index.js';
import { checkpointShipment } from '../../streams/shipment.js';
import { challengeFor, helloFor, welcomeFor } from '../../streams/transports/handshake.js';
import { shipmentMessage, type TcpMessage } from '../../streams/transports/tcpMessages.js';
import type { RealLog } from './realLog.js';
import { T0_MS } from './realLog.js';

export async function realMessages(log: RealLog): Promise<TcpMessage[]> {
  const db = await TidalDb.open({ role: 'follower' });
  try {
    return [
      helloFor(db, 'replica-1', new Uint8Array(32).fill(7)),
      challengeFor(new Uint8Array(32).fill(9)),
      { t: 'proof', proof: new Uint8Array(32).fill(1) },
      welcomeFor(db, new Uint8Array(32).fill(2)),
      { t: 'refuse', reason: 'bad token' },
      shipmentMessage(log.segments[1]!),
      shipmentMessage(checkpointShipment(0, log.checkpoint.seq, log.checkpoint.bytes)),
      { t: 'feedback', kind: 'ack', appliedSeq: 10, receivedSeq: 10, atMs: T0_MS },
      { t: 'feedback', kind: 'resend', appliedSeq: 5, receivedSeq: 13, atMs: T0_MS + 1.5 },
      { t: 'status', lastSeq: 13, atMs: T0_MS },
      { t: 'heartbeat', atMs: T0_MS },
    ];
  } finally {
    await db.close();
  }
}
