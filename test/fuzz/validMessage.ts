/**
 * What a decoded TCP message must look like (docs/tcp-protocol.md,
 * "Messages"), written from the spec rather than from the decoder: the
 * fields of its type and no other, each of the right type and range.
 * Returns null for a valid message, or what is wrong with it.
 */
import type { TcpMessage } from '../../streams/transports/tcpMessages.js';
import { isWellFormedString, show } from './validContent.js';

type Check = (v: unknown) => boolean;
const count: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const finite: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const bytes: Check = (v) => v instanceof Uint8Array;
const text = (minBytes: number, maxBytes: number): Check => (v) =>
  isWellFormedString(v) && Buffer.byteLength(v) >= minBytes && Buffer.byteLength(v) <= maxBytes;
const oneOf = (...values: string[]): Check => (v) => typeof v === 'string' && values.includes(v);

const exactly = (n: number): Check => (v) => v instanceof Uint8Array && v.length === n;
const optional = (check: Check): Check => (v) => v === undefined || check(v);

/** Protocol v2 (docs/tcp-protocol.md): nonces and proofs are 32 bytes; no token ever crosses the wire. */
const FIELDS: Record<string, Record<string, Check>> = {
  hello: { v: count, peer: text(1, 255), shardId: count, epoch: count, appliedSeq: count, nonce: exactly(32) },
  challenge: { v: count, nonce: exactly(32) },
  proof: { proof: exactly(32) },
  welcome: { v: count, epoch: count, proof: exactly(32) },
  otherVersion: { of: oneOf('hello', 'challenge', 'welcome'), v: count },
  // "cut to 1024 chars", and still well-formed
  refuse: { reason: (v) => isWellFormedString(v) && v.length <= 1024, code: optional((v) => typeof v === 'string') },
  segment: { shardId: count, segmentId: count, firstSeq: count, lastSeq: count, sealedAtMs: finite, bytes, checksum: bytes },
  checkpoint: { shardId: count, seq: count, bytes, checksum: bytes },
  feedback: { kind: oneOf('ack', 'resend'), appliedSeq: count, receivedSeq: count, atMs: finite },
  status: { lastSeq: count, atMs: finite },
  heartbeat: { atMs: finite },
};

export function invalidMessage(m: TcpMessage): string | null {
  const fields = FIELDS[m.t];
  if (!fields) return `unknown type ${show(m.t)}`;
  const record = m as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) if (key !== 't' && !(key in fields)) return `${m.t} has extra field ${key}`;
  for (const [key, check] of Object.entries(fields)) if (!check(record[key])) return `${m.t}.${key} is ${show(record[key])}`;
  return null;
}
