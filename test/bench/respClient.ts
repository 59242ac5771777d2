/**
 * A small pipelined RESP2 client on node:net, enough to drive and watch a
 * Redis primary and replica from the benchmarks: commands go out batched
 * (one socket write per microtask turn) and replies come back in order.
 *
 *   const client = await RespClient.connect(port);
 *   client.command(['ZINCRBY', 'view', '1', 'member:1']);          // reply ignored
 *   const info = await client.call(['INFO', 'replication']);       // a string
 *   client.close();
 */
import * as net from 'node:net';

/** A decoded RESP2 reply; an error reply is a RespError value, not a rejection, for `command`. */
export type RespValue = string | number | null | RespError | RespValue[];

export class RespError extends Error {
  override readonly name = 'RespError';
}

type ReplyHandler = ((reply: RespValue) => void) | null;

/** A reply larger than this is a protocol fault here (INFO replies are a few KB). */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

export class RespClient {
  private readonly handlers: ReplyHandler[] = [];
  private handled = 0;
  private input: Buffer = Buffer.alloc(0);
  private output = '';
  private flushQueued = false;
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('redis connection closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RespClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends a command; `onReply` (if any) gets its reply, errors included, in order. */
  command(args: readonly string[], onReply: ReplyHandler = null): void {
    if (this.failure) throw this.failure;
    let frame = `*${args.length}\r\n`;
    for (const arg of args) frame += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    this.output += frame;
    this.handlers.push(onReply);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sends a command and resolves with its reply; an error reply rejects. */
  call(args: readonly string[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      this.command(args, (reply) => (reply instanceof RespError ? reject(reply) : resolve(reply)));
    });
  }

  /** Commands sent whose replies have not arrived. */
  get pendingReplies(): number {
    return this.handlers.length - this.handled;
  }

  close(): void {
    this.socket.destroy();
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.output.length === 0 || this.failure) return;
    this.socket.write(this.output);
    this.output = '';
  }

  private receive(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    let offset = 0;
    try {
      for (;;) {
        const parsed = parseReply(this.input, offset);
        if (parsed === null) break;
        offset = parsed.end;
        const handler = this.handlers[this.handled];
        this.handlers[this.handled++] = null;
        handler?.(parsed.value);
      }
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.input = offset === this.input.length ? Buffer.alloc(0) : this.input.subarray(offset);
    if (this.input.length > MAX_REPLY_BYTES) this.fail(new Error(`redis reply over ${MAX_REPLY_BYTES} bytes`));
    // Keep the handler array from growing for ever on a long pipelined run.
    if (this.handled > 65_536 && this.handled === this.handlers.length) {
      this.handlers.length = 0;
      this.handled = 0;
    }
  }

  /** Fails every waiting reply; later commands throw. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const waiting = this.handlers.slice(this.handled);
    this.handled = this.handlers.length;
    for (const handler of waiting) handler?.(new RespError(err.message));
    this.socket.destroy();
  }
}

/** One RESP2 reply starting at `offset`, or null when it has not fully arrived. Pure. */
export function parseReply(buf: Buffer, offset: number): { value: RespValue; end: number } | null {
  if (offset >= buf.length) return null;
  const lineEnd = buf.indexOf('\r\n', offset + 1);
  if (lineEnd < 0) return null;
  const type = buf[offset];
  const line = buf.toString('latin1', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 0x2b: return { value: line, end: next }; // +
    case 0x2d: return { value: new RespError(line), end: next }; // -
    case 0x3a: return { value: Number(line), end: next }; // :
    case 0x24: { // $
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return null;
      return { value: buf.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case 0x2a: { // *
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const values: RespValue[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const element = parseReply(buf, end);
        if (element === null) return null;
        values.push(element.value);
        end = element.end;
      }
      return { value: values, end };
    }
    default: throw new Error(`redis: unexpected RESP type byte 0x${(type ?? 0).toString(16)} at offset ${offset}`);
  }
}

/** The `field:value` lines of an INFO reply as a map. */
export function parseInfo(reply: RespValue): Map<string, string> {
  if (typeof reply !== 'string') throw new Error(`redis: INFO replied ${String(reply)}`);
  const fields = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}
