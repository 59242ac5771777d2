/**
 * Hand-made peers for TCP transport tests, speaking protocol v2 with the
 * transport's own pure pieces (messages, proofs, sealing) but none of its
 * machinery, so a test can make them misbehave: a fake leader that
 * welcomes and then does what it is told (or proves a token it does not
 * have), and a raw follower that handshakes and then says what it is told.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { FrameDecoder } from '../../../streams/transports/frameCodec.js';
import { FrameOpener, FrameSealer } from '../../../streams/transports/frameSealer.js';
import {
  deriveAuthKey, followerProof, frameKeys, leaderProof, transcriptHash, transcriptOf,
} from '../../../streams/transports/handshakeProof.js';
import { decodeMessage, encodeBody, encodeMessage, type HelloMessage, type TcpMessage } from '../../../streams/transports/tcpMessages.js';
import { TOKEN } from './tcpFixtures.js';

/** Concatenated pieces of a sealed frame. */
function sealedFrame(sealer: FrameSealer, m: TcpMessage): Buffer {
  return Buffer.concat(sealer.seal(encodeBody(m, 1 << 30)));
}

/** One connection to a fake leader, after its welcome. */
export interface FakeLeaderLink {
  readonly socket: net.Socket;
  readonly hello: HelloMessage;
  /** Sends `m` sealed under this connection's key, as a real leader would. */
  send(m: TcpMessage): void;
  /** Sends `body` (any bytes) sealed: an authenticated frame whose body is whatever the test says. */
  sendBody(body: Uint8Array): void;
  /** Every frame the fake leader wrote on this connection, in order, as bytes (handshake frames included). */
  readonly written: Buffer[];
}

export interface FakeLeaderOptions {
  /** The token it proves with, or one per connection (numbered from 0); another one makes it a rogue leader. Default the tests' TOKEN. */
  readonly token?: string | ((connection: number) => string);
  readonly epoch?: number;
  /** What it does once it has sent its welcome. Default: nothing (a leader that falls silent). */
  readonly afterWelcome?: (link: FakeLeaderLink) => void;
  /** Replaces its answers: what to write for the hello and for the proof (e.g. a recorded handshake, replayed). */
  readonly script?: { readonly onHello?: () => Buffer[]; readonly onProof?: () => Buffer[] };
}

export interface FakeLeader {
  readonly port: number;
  /** Hellos received (one a connection attempt). */
  readonly hellos: () => number;
  readonly links: FakeLeaderLink[];
  /** Every byte followers sent it, per connection. */
  readonly received: Buffer[][];
  close(): Promise<void>;
}

/** A leader that speaks the handshake by hand: see FakeLeaderOptions. */
export async function fakeLeader(options: FakeLeaderOptions = {}): Promise<FakeLeader> {
  const tokenOf = typeof options.token === 'function' ? options.token : () => (options.token as string | undefined) ?? TOKEN;
  const epoch = options.epoch ?? 0;
  const sockets = new Set<net.Socket>();
  const links: FakeLeaderLink[] = [];
  const received: Buffer[][] = [];
  let hellos = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const bytes: Buffer[] = [];
    const authKey = deriveAuthKey(tokenOf(received.length));
    received.push(bytes);
    const written: Buffer[] = [];
    const write = (frame: Buffer) => {
      written.push(frame);
      socket.write(frame);
    };
    const decoder = new FrameDecoder(1 << 20);
    let hello: HelloMessage | null = null;
    const leaderNonce = randomBytes(32);
    let welcomed = false;
    socket.on('data', (chunk: Buffer) => {
      bytes.push(Buffer.from(chunk));
      if (welcomed) return; // what a follower says after the welcome is sealed; this fake does not read it
      decoder.push(chunk);
      for (let body = decoder.next(); body !== null && !welcomed; body = decoder.next()) {
        const m = decodeMessage(body);
        if (m.t === 'hello') {
          hellos++;
          hello = m;
          for (const f of options.script?.onHello?.() ?? [encodeMessage({ t: 'challenge', v: 2, nonce: leaderNonce }, 1 << 20)]) write(f);
        } else if (m.t === 'proof' && hello) {
          welcomed = true;
          if (options.script?.onProof) {
            for (const f of options.script.onProof()) write(f);
            return;
          }
          const th = transcriptHash(transcriptOf({ ...hello, followerNonce: hello.nonce, leaderNonce, channelBinding: new Uint8Array(0) }));
          write(encodeMessage({ t: 'welcome', v: 2, epoch, proof: leaderProof(authKey, th, epoch) }, 1 << 20));
          const sealer = new FrameSealer(frameKeys(authKey, th).leaderToFollower);
          const link: FakeLeaderLink = {
            socket, hello, written,
            send: (msg) => write(sealedFrame(sealer, msg)),
            sendBody: (body) => write(Buffer.concat(sealer.seal(body))),
          };
          links.push(link);
          options.afterWelcome?.(link);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    hellos: () => hellos,
    links,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A follower speaking the handshake by hand; once welcomed it sends and reads sealed frames. */
export interface RawFollower {
  readonly socket: net.Socket;
  /** Everything the leader sent, decoded (sealed frames opened). */
  readonly messages: TcpMessage[];
  readonly closed: Promise<void>;
  /** Resolves once welcomed (rejects if the leader refused or closed first). */
  readonly welcomed: Promise<void>;
  /** Sends `m` sealed (after the welcome). */
  send(m: TcpMessage): void;
  sendRaw(bytes: Uint8Array): void;
}

export async function rawFollower(port: number, peer: string, opts: { token?: string; shardId?: number; appliedSeq?: number } = {}): Promise<RawFollower> {
  const authKey = deriveAuthKey(opts.token ?? TOKEN);
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  const hello: HelloMessage = { t: 'hello', v: 2, peer, shardId: opts.shardId ?? 0, epoch: 0, appliedSeq: opts.appliedSeq ?? 0, nonce: randomBytes(32) };
  const messages: TcpMessage[] = [];
  const decoder = new FrameDecoder(1 << 30);
  let sealer: FrameSealer | null = null;
  let opener: FrameOpener | null = null;
  let keys: ReturnType<typeof frameKeys> | null = null;
  let welcome!: { resolve: () => void; reject: (e: Error) => void };
  const welcomed = new Promise<void>((resolve, reject) => (welcome = { resolve, reject }));
  welcomed.catch(() => {});
  socket.on('data', (chunk: Buffer) => {
    decoder.push(chunk);
    for (let body = decoder.next(); body !== null; body = decoder.next()) {
      const m = decodeMessage(opener ? opener.open(body) : body);
      messages.push(m);
      if (m.t === 'challenge') {
        const th = transcriptHash(transcriptOf({ ...hello, followerNonce: hello.nonce, leaderNonce: m.nonce, channelBinding: new Uint8Array(0) }));
        socket.write(encodeMessage({ t: 'proof', proof: followerProof(authKey, th) }, 1 << 20));
        keys = frameKeys(authKey, th);
      } else if (m.t === 'welcome' && keys) {
        sealer = new FrameSealer(keys.followerToLeader); // frames after the welcome are sealed, both ways
        opener = new FrameOpener(keys.leaderToFollower);
        welcome.resolve();
      } else if (m.t === 'refuse') {
        welcome.reject(new Error(`refused: ${m.reason}`));
      }
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    welcome.reject(new Error('closed before the welcome'));
    resolve();
  }));
  socket.write(encodeMessage(hello, 1 << 20));
  return {
    socket, messages, closed, welcomed,
    send: (m) => {
      if (!sealer) throw new Error('not welcomed yet');
      socket.write(sealedFrame(sealer, m));
    },
    sendRaw: (bytes) => socket.write(bytes),
  };
}
