import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { Checksum, WalError } from '../../../src/index.js';
import { FrameDecoder } from '../../../streams/transports/frameCodec.js';
import {
  decodeMessage, encodeMessage, segmentMessage, segmentPayload, type TcpMessage,
} from '../../../streams/transports/tcpMessages.js';
import { memoryLeader, sealedSegment } from '../fixtures.js';

const packr = new Packr({ useRecords: false });

/** The hello of docs/tcp-protocol.md: peer "f1", mark 42, a nonce of 32 × 0xab. */
const GOLDEN_HELLO = '5a000000de0007a174a568656c6c6fa17602a470656572a26631a77368617264496400a565706f636800aa6170706c6965645365712a'
  + 'a56e6f6e6365c420abababababababababababababababababababababababababababababababab';

function roundTrip(m: TcpMessage): TcpMessage {
  const d = new FrameDecoder(1 << 20);
  d.push(encodeMessage(m, 1 << 20));
  return decodeMessage(d.next()!);
}

describe('tcpMessages', () => {
  it('round-trips every message type', () => {
    const messages: TcpMessage[] = [
      { t: 'hello', v: 2, peer: 'f1', shardId: 3, epoch: 2, appliedSeq: 99, nonce: Buffer.alloc(32, 1) },
      { t: 'challenge', v: 2, nonce: Buffer.alloc(32, 2) },
      { t: 'proof', proof: Buffer.alloc(32, 3) },
      { t: 'welcome', v: 2, epoch: 2, proof: Buffer.alloc(32, 4) },
      { t: 'refuse', reason: 'no' },
      { t: 'refuse', reason: 'no', code: 'UnknownPeer' },
      { t: 'feedback', kind: 'resend', appliedSeq: 5, receivedSeq: 7, atMs: 1_767_225_600_000 },
      { t: 'feedback', kind: 'ack', appliedSeq: 5, durableSeq: 6, receivedSeq: 7, atMs: 1 }, // quorum acks: the durable mark travels
      { t: 'status', lastSeq: 12, atMs: 1.5 },
      { t: 'heartbeat', atMs: 3 },
    ];
    for (const m of messages) expect(roundTrip(m)).toEqual(m);
  });

  it('pins the bytes of a frame (golden, as in docs/tcp-protocol.md)', () => {
    expect(encodeMessage({ t: 'heartbeat', atMs: 1 }, 1024).toString('hex')).toBe('15000000de0002a174a9686561727462656174a461744d7301');
    expect(encodeMessage({ t: 'hello', v: 2, peer: 'f1', shardId: 0, epoch: 0, appliedSeq: 42, nonce: new Uint8Array(32).fill(0xab) }, 1024).toString('hex'))
      .toBe(GOLDEN_HELLO);
    // Readers do not depend on key order or on map16: a fixmap with the keys swapped reads the same.
    expect(decodeMessage(Buffer.from('82a461744d7301a174a9686561727462656174', 'hex'))).toEqual({ t: 'heartbeat', atMs: 1 });
  });

  it('carries a segment with its checksum as 32 raw bytes and rebuilds the Checksum on receipt', async () => {
    const leader = await memoryLeader(() => 1_000);
    const segment = await sealedSegment(leader, 20);
    const frame = encodeMessage(segmentMessage(segment), 1 << 20);
    const wire = decodeMessage(frame.subarray(4));
    expect(wire.t).toBe('segment');
    if (wire.t !== 'segment') return;
    expect(wire.checksum).toHaveLength(32);
    const back = segmentPayload(wire);
    expect(back.checksum).toBeInstanceOf(Checksum);
    expect(back.checksum.equals(segment.checksum)).toBe(true);
    expect(Buffer.from(back.bytes).equals(Buffer.from(segment.bytes))).toBe(true);
    expect({ ...back, bytes: null, checksum: null }).toEqual({ ...segment, bytes: null, checksum: null });
    await leader.close();
  });

  it('rejects a checksum that is not 32 bytes with WalError Corruption', () => {
    const m = { t: 'segment', shardId: 0, segmentId: 1, firstSeq: 1, lastSeq: 2, sealedAtMs: 0, bytes: new Uint8Array(4), checksum: new Uint8Array(31) } as const;
    expect(() => segmentPayload(decodeMessage(packr.pack(m)) as typeof m)).toThrowError(/invalid checksum length: 31 bytes/);
  });

  it('names the field at fault in anything malformed', () => {
    const nonce = new Uint8Array(32);
    const bad: Array<[unknown, RegExp]> = [
      [[1, 2], /not a map/],
      [{ t: 'launch' }, /unknown message type t="launch"/],
      [{ t: 'hello', v: 2, peer: 'f', shardId: -1, epoch: 0, appliedSeq: 0, nonce }, /hello\.shardId must be an integer >= 0, got -1/],
      [{ t: 'hello', v: 2, peer: 'f', shardId: 0, epoch: 0, appliedSeq: 0, nonce: new Uint8Array(31) }, /hello\.nonce must be 32 bytes, got 31/],
      [{ t: 'proof', proof: 'abc' }, /proof\.proof must be binary/],
      [{ t: 'welcome', v: 2, epoch: 0, proof: new Uint8Array(33) }, /welcome\.proof must be 32 bytes, got 33/],
      [{ t: 'refuse', reason: 'x', code: 'Not a code!' }, /refuse\.code must be a word/],
      [{ t: 'feedback', kind: 'nack', appliedSeq: 1, receivedSeq: 1, atMs: 0 }, /feedback\.kind must be 'ack' or 'resend'/],
      [{ t: 'feedback', kind: 'ack', appliedSeq: 1, durableSeq: -2, receivedSeq: 1, atMs: 0 }, /feedback\.durableSeq must be an integer >= 0, got -2/],
      [{ t: 'feedback', kind: 'ack', appliedSeq: 4, durableSeq: 3, receivedSeq: 4, atMs: 0 }, /feedback\.durableSeq 3 is below appliedSeq 4/],
      [{ t: 'segment', shardId: 0, segmentId: 1, firstSeq: 1, lastSeq: 2, sealedAtMs: 0, bytes: 'abc', checksum: new Uint8Array(32) }, /segment\.bytes must be binary/],
      [{ t: 'status', lastSeq: 1.5, atMs: 0 }, /status\.lastSeq must be an integer/],
    ];
    for (const [value, message] of bad) {
      expect(() => decodeMessage(packr.pack(value))).toThrowError(WalError);
      expect(() => decodeMessage(packr.pack(value))).toThrowError(message);
    }
  });

  it('a hello of another version (a v1 hello, token in clear) is read as its version only: the token is never read or kept', () => {
    const v1 = decodeMessage(packr.pack({ t: 'hello', v: 1, peer: 'f1', token: 'the-cluster-secret', shardId: 0, epoch: 0, appliedSeq: 0 }));
    expect(v1).toEqual({ t: 'otherVersion', of: 'hello', v: 1 });
    expect(JSON.stringify(v1)).not.toContain('secret');
    expect(decodeMessage(packr.pack({ t: 'welcome', v: 1, epoch: 0 }))).toEqual({ t: 'otherVersion', of: 'welcome', v: 1 });
    expect(decodeMessage(packr.pack({ t: 'challenge', v: 3, nonce: 1 }))).toEqual({ t: 'otherVersion', of: 'challenge', v: 3 });
    expect(() => encodeMessage({ t: 'otherVersion', of: 'hello', v: 1 }, 1024)).toThrowError(/never sent/);
  });

  it('rejects bytes that are not one msgpack value', () => {
    expect(() => decodeMessage(Buffer.from([0xc1]))).toThrowError(WalError);
    expect(() => decodeMessage(Buffer.from('hello garbage'))).toThrowError(/not one msgpack value/);
    expect(() => decodeMessage(packr.pack({ t: 'heartbeat', atMs: 1 }).subarray(0, 5))).toThrowError(/not one msgpack value/);
  });
});
