/**
 * A man in the middle for TCP transport tests: listens on a free loopback
 * port and forwards each connection to `targetPort`, frame by frame. A test
 * can freeze a link (stop forwarding both ways without closing: a peer that
 * died without a FIN), and can rewrite the frames of either direction
 * (flip, inject, drop, replay, reorder) through `tamper`.
 */
import * as net from 'node:net';

export type Direction = 'toLeader' | 'toFollower';

/**
 * Decides what is forwarded for one whole frame (length prefix included):
 * the frames to send on in its place (`[frame]` passes it through, `[]`
 * drops it). `index` counts the frames of this direction on this link from 0.
 */
export type Tamper = (frame: Buffer, index: number, direction: Direction, link: ProxyLink) => Buffer[];

export interface ProxyLink {
  /** Frames seen so far, by direction, as they arrived (before tampering). */
  readonly seen: Record<Direction, Buffer[]>;
  /** Stops forwarding in both directions, closes included; both sockets stay open and silent. */
  freeze(): void;
  readonly frozen: boolean;
  destroy(): void;
}

export interface TcpProxy {
  readonly port: number;
  /** Every link, oldest first. */
  readonly links: ProxyLink[];
  /** Replaces the tamper function for frames from now on (null: pass everything through). */
  setTamper(tamper: Tamper | null): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, tamper: Tamper | null = null): Promise<TcpProxy> {
  const links: ProxyLink[] = [];
  const sockets = new Set<net.Socket>();
  let current = tamper;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { /* either end may reset: the test looks at what the transports report */ });
      s.once('close', () => sockets.delete(s));
    }
    let frozen = false;
    const link: ProxyLink = {
      seen: { toLeader: [], toFollower: [] },
      freeze: () => (frozen = true),
      get frozen() {
        return frozen;
      },
      destroy: () => {
        client.destroy();
        upstream.destroy();
      },
    };
    links.push(link);
    const pipe = (from: net.Socket, to: net.Socket, direction: Direction): void => {
      let pending = Buffer.alloc(0);
      from.on('data', (chunk: Buffer) => {
        if (frozen) return;
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          if (pending.length < 4) break;
          const length = pending.readUInt32LE(0);
          if (length > 1 << 28) { // not frames (a TLS stream, garbage): pass the bytes on as they are
            to.write(pending);
            pending = Buffer.alloc(0);
            break;
          }
          if (pending.length < 4 + length) break;
          const frame = pending.subarray(0, 4 + length);
          pending = pending.subarray(4 + length);
          const index = link.seen[direction].length;
          link.seen[direction].push(Buffer.from(frame));
          for (const out of current ? current(frame, index, direction, link) : [frame]) to.write(out);
        }
      });
      from.once('end', () => !frozen && to.end());
      from.once('close', () => !frozen && to.destroy()); // frozen: the other end hears nothing, not even a FIN
    };
    pipe(client, upstream, 'toLeader');
    pipe(upstream, client, 'toFollower');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    links,
    setTamper: (t) => (current = t),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
