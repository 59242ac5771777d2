/** Helpers for TCP transport tests: raw sockets that misbehave on purpose, and waiting on events. */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { filter, firstValueFrom, type Observable, timeout } from 'rxjs';
import { FrameDecoder } from '../../../streams/transports/frameCodec.js';
import { decodeMessage, encodeMessage, type TcpMessage } from '../../../streams/transports/tcpMessages.js';
import type { TcpTransportEvent } from '../../../streams/index.js';

/** 16 bytes: the shortest token TcpTransport accepts. */
export const TOKEN = 'tidal-test-token';
/** Fast heartbeats so dead peers are found in under half a second, with room for a loaded machine's event-loop stalls. */
/** Quick enough for tests, slack enough that a loaded CI machine (event-loop stalls of a few hundred ms) never trips it. */
export const FAST = { heartbeatMs: 100, deadAfterMs: 1000 } as const;

/** A raw client: everything the leader sends is decoded into `messages`; `closed` resolves when the leader closes it. */
export interface RawClient {
  readonly socket: net.Socket;
  readonly messages: TcpMessage[];
  readonly closed: Promise<void>;
  send(bytes: Uint8Array): void;
  sendMessage(m: TcpMessage): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const messages: TcpMessage[] = [];
  const decoder = new FrameDecoder(1 << 30);
  socket.on('data', (chunk) => {
    decoder.push(chunk);
    for (let body = decoder.next(); body !== null; body = decoder.next()) messages.push(decodeMessage(body));
  });
  socket.on('error', () => { /* the leader may reset it: that is what is tested */ });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket, messages, closed,
    send: (bytes) => socket.write(bytes),
    sendMessage: (m) => socket.write(encodeMessage(m, 1 << 30)),
  };
}

/** A protocol v2 hello with a fresh nonce (it carries no token: the proof comes after the challenge). */
export function hello(peer: string, appliedSeq = 0): TcpMessage {
  return { t: 'hello', v: 2, peer, shardId: 0, epoch: 0, appliedSeq, nonce: randomBytes(32) };
}

/** The first event matching `predicate`, within `ms`. */
export function nextEvent(events$: Observable<TcpTransportEvent>, predicate: (e: TcpTransportEvent) => boolean, ms = 5_000): Promise<TcpTransportEvent> {
  return firstValueFrom(events$.pipe(filter(predicate), timeout(ms)));
}

export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Handles that would keep the process alive: sockets, servers and timers. */
export function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout') counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}
