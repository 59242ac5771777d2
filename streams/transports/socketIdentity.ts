/**
 * What identifies a follower's socket to the leader: the address it came from (for reports and
 * errors) and its TLS channel binding (for the handshake transcript). The I/O edge of
 * handshakeProof.ts, which stays pure.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { CHANNEL_BINDING_LABEL } from './handshakeProof.js';

/**
 * TLS exported keying material (RFC 5705) that goes into the handshake transcript, so a proof made
 * on one TLS session cannot be replayed on another; empty without TLS (frames are sealed instead).
 */
export function channelBindingOf(socket: Socket): Uint8Array {
  return socket instanceof TLSSocket ? socket.exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0)) : new Uint8Array(0);
}

/** `address:port` of the other end, `?` for what the socket no longer knows. */
export function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
