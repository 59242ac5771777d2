/**
 * How a shipment is stored on the stream: headers, parts, and putting parts
 * back together (jetStreamHeaders.ts, jetStreamAssembler.ts); the names
 * (jetStreamSubjects.ts) and the core-NATS messages (jetStreamMessages.ts).
 * Pure: no server.
 */
import { describe, expect, it } from 'vitest';
import { Checksum, TidalDb, type WalSegmentPayload } from '../../../src/index.js';
import { type Shipment } from '../../../streams/index.js';
import { checkpointShipment } from '../../../streams/shipment.js';
import { ShipmentAssembler } from '../../../streams/transports/jetStreamAssembler.js';
import {
  decodeShipmentHead, H, type ShipmentHead, type ShipmentMessage, shipmentMessages, shipmentOf,
} from '../../../streams/transports/jetStreamHeaders.js';
import { decodeFeedback, decodeStatus, encodeFeedback, encodeStatus } from '../../../streams/transports/jetStreamMessages.js';
import { jetStreamNames, peerOfToken, peerToken } from '../../../streams/transports/jetStreamSubjects.js';
import { sealedSegment } from '../fixtures.js';

const LABELS = { msgId: '0:1:1', epoch: 1, forPeer: null, publishedThrough: { before: 0, after: 0 }, partBytes: 1 << 20 } as const;

function headOf(m: ShipmentMessage, where = 'stream message 1'): ShipmentHead {
  const h = new Map(m.headers);
  return decodeShipmentHead((name) => h.get(name), where);
}

function bytesSegment(length: number): WalSegmentPayload {
  const bytes = Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff);
  return { shardId: 3, segmentId: 7, firstSeq: 101, lastSeq: 180, sealedAtMs: 1_700_000_000_000, bytes, checksum: Checksum.of(bytes) };
}

describe('shipmentMessages / decodeShipmentHead: a shipment on the stream', () => {
  it('a real sealed segment round-trips through one message: every label, the bytes, and the log\'s end', async () => {
    const db = await TidalDb.open();
    const segment = await sealedSegment(db, 20);
    const [m, ...rest] = shipmentMessages(segment, { ...LABELS, publishedThrough: { before: 0, after: 20 } });
    expect(rest).toEqual([]);
    expect(m!.msgId).toBe('0:1:1');
    const head = headOf(m!);
    expect(head).toMatchObject({ kind: 'segment', shardId: 0, epoch: 1, partIndex: 0, partCount: 1, forPeer: null, publishedThrough: 20, totalBytes: segment.bytes.length });
    expect(shipmentOf(head, m!.data)).toEqual(segment);
    await db.close();
  });

  it('a checkpoint round-trips, for one follower', () => {
    const cp = checkpointShipment(2, 900, new Uint8Array([9, 8, 7]));
    const [m] = shipmentMessages(cp, { ...LABELS, forPeer: 'replica eu/1', publishedThrough: { before: 850, after: 850 } });
    const head = headOf(m!);
    expect(head).toMatchObject({ kind: 'checkpoint', shardId: 2, lastSeq: 900, firstSeq: 1, segmentId: -1, forPeer: 'replica eu/1', publishedThrough: 850 });
    expect(shipmentOf(head, m!.data)).toEqual(cp);
  });

  it('cuts a shipment larger than a part into parts, each readable alone; only the last says the log moved on', () => {
    const s = bytesSegment(2_500);
    const messages = shipmentMessages(s, { ...LABELS, msgId: '3:1:101', publishedThrough: { before: 100, after: 180 }, partBytes: 1_000 });
    expect(messages.map((m) => m.msgId)).toEqual(['3:1:101/0', '3:1:101/1', '3:1:101/2']);
    expect(messages.map((m) => m.data.length)).toEqual([1_000, 1_000, 500]);
    expect(messages.map((m) => headOf(m)).map((h) => [h.partIndex, h.partCount, h.publishedThrough])).toEqual([[0, 3, 100], [1, 3, 100], [2, 3, 180]]);
  });

  it('refuses a missing or malformed header with Corruption naming the header, its value and the message', () => {
    const [m] = shipmentMessages(bytesSegment(10), LABELS);
    const broken = (name: string, value: string | undefined) => {
      const h = new Map(m!.headers);
      if (value === undefined) h.delete(name);
      else h.set(name, value);
      return () => decodeShipmentHead((n) => h.get(n), 'stream message 42');
    };
    expect(broken(H.firstSeq, 'ten')).toThrow(/stream message 42: header Tidal-First-Seq must be an integer >= 0, got "ten"/);
    expect(broken(H.lastSeq, '-1')).toThrow(/header Tidal-Last-Seq must be an integer >= 0, got "-1"/);
    expect(broken(H.lastSeq, '99999999999999999')).toThrow(/Tidal-Last-Seq/);
    expect(broken(H.checksum, 'abc')).toThrow(/header Tidal-Checksum must be 64 lowercase hex digits, got "abc"/);
    expect(broken(H.part, '3/3')).toThrow(/header Tidal-Part must be <index>\/<count> with index < count, got "3\/3"/);
    expect(broken(H.kind, undefined)).toThrow(/header Tidal-Kind must be 'segment' or 'checkpoint', got missing/);
    expect(broken(H.forPeer, '_zz')).toThrow(/header Tidal-For must be a peer token/);
    expect(broken(H.version, '2')).toThrow(expect.objectContaining({ code: 'ConfigMismatch' }));
    expect(broken(H.shard, '1.5')).toThrow(expect.objectContaining({ name: 'WalError', code: 'Corruption' }));
  });
});

describe('ShipmentAssembler: parts back into a shipment', () => {
  const parts = (s: Shipment, partBytes: number, msgId = 'x') => shipmentMessages(s, { ...LABELS, msgId, partBytes }).map((m) => ({ m, head: headOf(m) }));

  it('puts parts in order back together, handing back every part\'s token', () => {
    const s = bytesSegment(2_500);
    const assembler = new ShipmentAssembler<number>(10_000);
    const steps = parts(s, 1_000).flatMap(({ m, head }, i) => assembler.accept(head, m.data, i, `m${i}`));
    expect(steps.map((x) => x.kind)).toEqual(['partial', 'partial', 'complete']);
    const done = steps[2]!;
    if (done.kind !== 'complete') throw new Error('not complete');
    expect(Buffer.from(done.bytes).equals(Buffer.from(s.bytes))).toBe(true);
    expect(done.tokens).toEqual([0, 1, 2]);
    expect(assembler.heldBytes).toBe(0);
  });

  it('a part 0 starts afresh, dropping a shipment that stopped half way (a leader that restarted publishes it again)', () => {
    const s = bytesSegment(2_500);
    const p = parts(s, 1_000);
    const assembler = new ShipmentAssembler<string>(10_000);
    assembler.accept(p[0]!.head, p[0]!.m.data, 'a0', 'm1');
    const steps = p.flatMap(({ m, head }, i) => assembler.accept(head, m.data, `b${i}`, `m${i + 2}`));
    expect(steps.map((x) => x.kind)).toEqual(['dropped', 'partial', 'partial', 'complete']);
    expect(steps[0]).toMatchObject({ tokens: ['a0'], error: { code: 'Corruption', message: expect.stringMatching(/stopped after part 0\/3/) } });
  });

  it('drops a part without the parts before it, and one of another shipment in the middle', () => {
    const p = parts(bytesSegment(2_500), 1_000);
    const other = parts(bytesSegment(1_500), 1_000, 'y');
    const assembler = new ShipmentAssembler<string>(10_000);
    expect(assembler.accept(p[1]!.head, p[1]!.m.data, 'p1', 'm7')).toMatchObject([{ kind: 'dropped', tokens: ['p1'], error: { message: expect.stringMatching(/m7: part 1\/3 .* without the parts before it/) } }]);
    assembler.accept(p[0]!.head, p[0]!.m.data, 'p0', 'm8');
    expect(assembler.accept(other[1]!.head, other[1]!.m.data, 'o1', 'm9').map((x) => x.kind)).toEqual(['dropped', 'dropped']);
    expect(assembler.heldBytes).toBe(0);
  });

  it('refuses, unread, a shipment declared larger than maxShipmentBytes, and parts that do not add up to the declared size', () => {
    const p = parts(bytesSegment(2_500), 1_000);
    const small = new ShipmentAssembler<string>(2_000);
    expect(small.accept(p[0]!.head, p[0]!.m.data, 't', 'm1')).toMatchObject([{ kind: 'dropped', error: { message: expect.stringMatching(/2500 bytes is larger than maxShipmentBytes \(2000\)/) } }]);
    const lying = new ShipmentAssembler<string>(10_000);
    const [one] = parts(bytesSegment(10), 1_000);
    expect(lying.accept({ ...one!.head, totalBytes: 11 }, one!.m.data, 't', 'm2')).toMatchObject([{ kind: 'dropped', error: { message: expect.stringMatching(/declares 11 bytes, its 1 of 1 parts hold 10/) } }]);
  });
});

describe('names and control messages', () => {
  it('a peer id is its own subject token when plain, else "_" and hex; the forms never collide and round-trip', () => {
    expect(peerToken('replica-eu-1')).toBe('replica-eu-1');
    expect(peerToken('a.b')).toBe('_612e62');
    expect(peerToken('_x')).toBe('_5f78');
    for (const peer of ['replica-eu-1', 'a.b', 'réplica', '*', '_612e62', 'x'.repeat(100)]) expect(peerOfToken(peerToken(peer))).toBe(peer);
    expect(peerOfToken('_616263')).toBeNull(); // hex of a plain id: never made
    expect(peerOfToken('_ff')).toBeNull(); // not UTF-8
    expect(() => peerToken('')).toThrow(/1..100 bytes/);
    expect(() => peerToken('x'.repeat(101))).toThrow(/1..100 bytes/);
    expect(() => peerToken('\ud800')).toThrow(/not well-formed Unicode/);
    const names = jetStreamNames('tidaldb', 4, 'tidaldb-shard-4');
    expect(names.shipments).toBe('tidaldb.4.shipments');
    expect(names.feedback('a.b')).toBe('tidaldb.4.feedback._612e62');
    expect(names.peerOfFeedbackSubject('tidaldb.4.feedback._612e62')).toBe('a.b');
    expect(names.peerOfFeedbackSubject('tidaldb.5.feedback.f1')).toBeNull();
  });

  it('feedback and status round-trip; a field of the wrong type is Corruption naming it', () => {
    const f = { peer: 'f1', kind: 'resend' as const, appliedSeq: 10, receivedSeq: 12, atMs: 123.5 };
    expect(decodeFeedback('f1', encodeFeedback(f))).toEqual(f);
    expect(decodeStatus(encodeStatus({ lastSeq: 9, atMs: 5 }, 2))).toEqual({ status: { lastSeq: 9, atMs: 5 }, epoch: 2 });
    expect(() => decodeFeedback('f1', encodeFeedback({ ...f, appliedSeq: -1 }))).toThrow(/feedback from "f1": appliedSeq must be an integer >= 0, got -1/);
    expect(() => decodeFeedback('f1', encodeFeedback({ ...f, kind: 'nope' as 'ack' }))).toThrow(/kind must be 'ack' or 'resend', got "nope"/);
    expect(() => decodeStatus(new Uint8Array([0x85]))).toThrow(/leader status: not one msgpack value/);
    expect(() => decodeStatus(new Uint8Array([0x07]))).toThrow(/leader status: not a map/);
    expect(() => decodeStatus(new Uint8Array(300))).toThrow(/300 bytes, more than 256/);
  });
});
