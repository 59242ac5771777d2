/**
 * A FrameConnection's contract: what it needs (timing, the frame limit, whom to tell) and what it
 * reports (why it closed); and FrameSink, the part of it a sender writes to.
 */
import type { SchedulerLike } from 'rxjs';
import type { TcpMessage } from './tcpMessages.js';

/** Why a connection closed: a sentence, and the typed error behind it when it was a fault. */
export interface ConnectionClosed {
  readonly reason: string;
  readonly error?: Error;
}

/** Where a sender writes message bodies; a connection is one (it frames, and seals, each). */
export interface FrameSink {
  /** True while the socket's write buffer is at or above its high-water mark. */
  readonly needsDrain: boolean;
  /** Writes one frame around `body`; false when the buffer is now above its high-water mark (wait for a drain). */
  sendBody(body: Uint8Array): boolean;
}

/** A connection's two frame keys, as this end uses them. */
export interface SealingKeys {
  readonly send: Uint8Array;
  readonly receive: Uint8Array;
}

/** What a FrameConnection needs: its timing, its frame limit, and whom to tell. */
export interface FrameConnectionOptions {
  /** What the other end should be; names it in errors ("… is not a tidaldb leader"). */
  readonly peerRole: 'leader' | 'follower';
  /** Heartbeat and liveness-check interval, in ms. */
  readonly heartbeatMs: number;
  /** Silence after which the peer is dead, and the handshake deadline, in ms. */
  readonly deadAfterMs: number;
  /** The largest frame accepted once established, in bytes. */
  readonly maxFrameBytes: number;
  readonly scheduler: SchedulerLike;
  /** Each message, in order. Throwing closes the connection with that error. */
  readonly onMessage: (message: TcpMessage) => void;
  /** Once, when the connection closes for any reason. */
  readonly onClose: (closed: ConnectionClosed) => void;
  /** The write buffer drained below its high-water mark. */
  readonly onDrain?: () => void;
}
