/**
 * FrameConnection: one socket speaking frames, with the machinery both ends
 * share. It owns the socket, its timers and its decoder, and tears all of
 * them down in `close()`; it knows nothing of leaders or followers.
 *
 * - Reads: bytes → {@link FrameDecoder} (size-checked before the body is
 *   read) → {@link FrameOpener} once `secure()` (seq and MAC checked before
 *   the body is looked at) → {@link decodeMessage} → `onMessage`, one frame at a time.
 * - Writes: a message's body, framed, and sealed once `secure()`
 *   ({@link FrameSealer}: seq and MAC; the body itself is not copied).
 *   `pause()` stops both: frames already read stay in the decoder and the
 *   socket stops reading, so the peer's TCP window fills (real backpressure).
 * - Liveness: every `heartbeatMs` it checks that something arrived within
 *   `deadAfterMs` (and, before `establish()`, that the handshake finished
 *   within it), then sends a heartbeat. While paused it does not count
 *   silence against the peer: not reading is its own choice.
 * - Faults: a bad frame, a frame cut off by the end of the stream, a socket
 *   error or a silent peer closes this connection with a reason and harms no other.
 *   Before the handshake is done, bytes that are no tidaldb frame are named
 *   for what they look like (describeForeignBytes): from a leader, that is
 *   `TidalError` `NotTidalDb` ("… is not a tidaldb leader: it answered like
 *   an HTTP server"), since a follower dials an address an operator gave it.
 *
 *   heartbeatMs:   ──h──h──h──h──h──     (once established; skipped while the write buffer is full)
 *   received   :   d─────d──────────
 *   closed     :   ───────────────X      (silent for deadAfterMs: 'peer silent for … ms')
 */
import type { Socket } from 'node:net';
import { interval, type Subscription, timer } from 'rxjs';
import { TidalError, WalError } from '../../src/index.js';
import { describeForeignBytes, FOREIGN_SNIFF_BYTES } from './describeForeignBytes.js';
import { FrameDecoder, frameLengthPrefix } from './frameCodec.js';
import { FrameOpener, FrameSealer, SEALED_OVERHEAD_BYTES } from './frameSealer.js';
import { MAX_HANDSHAKE_FRAME_BYTES } from './tcpDefaults.js';
import type { FrameConnectionOptions, FrameSink, SealingKeys } from './frameConnectionOptions.js';
import { decodeMessage, encodeBody, type TcpMessage } from './tcpMessages.js';

/** One socket speaking frames: see the file comment. Owns the socket and its timers. */
export class FrameConnection implements FrameSink {
  private readonly decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  /** The first bytes received (up to FOREIGN_SNIFF_BYTES), to say what a peer that is not tidaldb looks like. */
  private head: Buffer = Buffer.alloc(0);
  private readonly openedAtMs: number;
  private readonly ticks: Subscription;
  private linger: Subscription | null = null;
  private lastHeardMs: number;
  private established = false;
  private sealer: FrameSealer | null = null;
  private opener: FrameOpener | null = null;
  private paused = false;
  private pumping = false;
  private ended = false;
  private closed = false;

  /** @param remote how reports name the other end, e.g. '127.0.0.1:53412' */
  constructor(private readonly socket: Socket, readonly remote: string, private readonly options: FrameConnectionOptions) {
    const { scheduler, heartbeatMs } = options;
    this.openedAtMs = this.lastHeardMs = scheduler.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.close(`socket error: ${err.message}`, new WalError('Io', `${remote}: ${err.message}`, { cause: err })));
    socket.on('close', () => {
      this.linger?.unsubscribe();
      this.close(this.ended ? 'peer closed the connection' : 'socket closed');
    });
    socket.on('drain', () => this.options.onDrain?.());
    this.ticks = interval(heartbeatMs, scheduler).subscribe(() => this.tick());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get isEstablished(): boolean {
    return this.established && !this.closed;
  }

  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** True until the first byte arrives. */
  get heardNothing(): boolean {
    return this.head.length === 0;
  }

  /** ms since anything was last received (or since the connection opened). */
  get silentMs(): number {
    return this.options.scheduler.now() - this.lastHeardMs;
  }

  /** The handshake is done: accept full-size frames and start heartbeats. */
  establish(): void {
    this.established = true;
    this.decoder.maxFrameBytes = this.options.maxFrameBytes;
  }

  /** From the next frame on, both ways: seal what is sent, and open (authenticate) what is received. */
  secure(keys: SealingKeys): void {
    this.sealer = new FrameSealer(keys.send);
    this.opener = new FrameOpener(keys.receive);
  }

  /** Writes `message`; see {@link FrameSink.sendBody}. Throws InvalidInput when it does not fit in a frame. */
  send(message: TcpMessage): boolean {
    const limit = this.established ? this.options.maxFrameBytes : MAX_HANDSHAKE_FRAME_BYTES;
    return this.sendBody(encodeBody(message, limit, this.sealer ? SEALED_OVERHEAD_BYTES : 0));
  }

  sendBody(body: Uint8Array): boolean {
    if (this.closed) return false;
    return this.write(body);
  }

  /** Frames (and seals) `body` and writes the pieces as one (corked: a single writev, the body not copied). */
  private write(body: Uint8Array, end = false): boolean {
    const pieces = this.sealer ? this.sealer.seal(body) : [frameLengthPrefix(body.length), body];
    this.socket.cork();
    for (const piece of pieces.slice(0, -1)) this.socket.write(piece);
    const last = pieces[pieces.length - 1]!;
    if (end) {
      this.socket.end(last); // end() uncorks
      return false;
    }
    const below = this.socket.write(last);
    this.socket.uncork();
    return below;
  }

  /** Stops taking frames (and reading the socket) until `resume()`. */
  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.pump();
    if (!this.paused && !this.closed) this.socket.resume();
  }

  /** Closes now (idempotent): destroys the socket, stops the timers, reports once. */
  close(reason: string, error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.ticks.unsubscribe();
    this.socket.destroy();
    this.options.onClose(error ? { reason, error } : { reason });
  }

  /**
   * Tells the peer why (a refuse frame), ends the socket once it is written,
   * and destroys it if the peer has not closed within one heartbeat.
   */
  refuse(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.ticks.unsubscribe();
    const code = (error as { code?: unknown }).code;
    const refusal = { t: 'refuse', reason: error.message, ...(typeof code === 'string' && { code }) } as const;
    this.write(encodeBody(refusal, MAX_HANDSHAKE_FRAME_BYTES, SEALED_OVERHEAD_BYTES), true);
    this.linger = timer(this.options.heartbeatMs, this.options.scheduler).subscribe(() => this.socket.destroy());
    this.options.onClose({ reason: `refused: ${error.message}`, error });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastHeardMs = this.options.scheduler.now();
    if (this.head.length < FOREIGN_SNIFF_BYTES) this.head = Buffer.concat([this.head, chunk]).subarray(0, FOREIGN_SNIFF_BYTES);
    this.decoder.push(chunk);
    this.pump();
  }

  private onEnd(): void {
    this.ended = true;
    this.pump();
  }

  /** Hands over whole frames until paused or none is left; then, if the peer has ended, closes. */
  private pump(): void {
    if (this.pumping) return; // re-entered from onMessage: the outer loop goes on
    this.pumping = true;
    try {
      while (!this.closed && !this.paused) {
        const message = this.readMessage();
        if (message === null) break;
        this.options.onMessage(message);
      }
    } catch (err) {
      const error = err instanceof Error ? err : new TidalError('InvalidInput', String(err));
      this.close(`bad frame from ${this.remote}: ${error.message}`, error);
    } finally {
      this.pumping = false;
    }
    if (this.ended && !this.paused && !this.closed) this.onPeerEnded();
  }

  /** The next whole message, or null; a bad frame before the handshake is named for what it looks like. */
  private readMessage(): TcpMessage | null {
    try {
      const frame = this.decoder.next();
      if (frame === null) return null;
      return decodeMessage(this.opener ? this.opener.open(frame) : frame);
    } catch (err) {
      throw this.established ? err : this.foreign(err as Error);
    }
  }

  /** The error for bytes that are no tidaldb frame, seen before the handshake finished. */
  private foreign(err: Error): Error {
    const looks = describeForeignBytes(this.head);
    if (this.options.peerRole === 'leader') {
      const what = looks ?? `sent something that is not a tidaldb frame (${err.message})`;
      return new TidalError('NotTidalDb', `${this.remote} is not a tidaldb leader: it ${what}`, { cause: err });
    }
    return looks ? new WalError('Corruption', `${err.message} (the client ${looks}: not a tidaldb follower)`, { cause: err }) : err;
  }

  private onPeerEnded(): void {
    const left = this.decoder.bufferedBytes;
    if (left === 0) return this.close('peer closed the connection');
    const error = new WalError('Corruption', `${this.remote}: the connection ended inside a frame, ${left} bytes of it received`);
    this.close(`truncated frame from ${this.remote}`, error);
  }

  private tick(): void {
    const { scheduler, deadAfterMs } = this.options;
    const now = scheduler.now();
    if (this.paused) this.lastHeardMs = now;
    if (!this.established && now - this.openedAtMs >= deadAfterMs) {
      const silentLeader = this.options.peerRole === 'leader' && this.head.length === 0
        ? ': it sent nothing; is it a tidaldb leader, with TLS on at both ends or at neither?' : '';
      return this.close(`no handshake within ${deadAfterMs} ms`, new TidalError('Timeout', `${this.remote}: no handshake within deadAfterMs (${deadAfterMs} ms)${silentLeader}`));
    }
    const silentMs = now - this.lastHeardMs;
    if (silentMs >= deadAfterMs) {
      return this.close(`peer silent for ${silentMs} ms`, new TidalError('Timeout', `${this.remote}: nothing received for ${silentMs} ms (deadAfterMs ${deadAfterMs})`));
    }
    if (this.established && !this.socket.writableNeedDrain) this.send({ t: 'heartbeat', atMs: now });
  }
}
