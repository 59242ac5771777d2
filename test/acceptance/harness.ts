/** Real-time harness for acceptance tests: a leader, followers, a transport, and teardown of all of it. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FollowerDb, TidalDb, type TidalDbOptions } from '../../src/index.js';
import { type TlsFiles, tlsFiles } from '../streams/transports/tlsCertificates.js';
import {
  type FollowerHandle, type FollowerTransport, InProcessTransport, type LeaderHandle, type LeaderTransport, startFollower, startLeader, TcpTransport,
  type Transport,
} from '../../streams/index.js';

export const HALF_LIVES = { view: 3_600_000, like: 6 * 3_600_000, share: 24 * 3_600_000 };
export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export interface Cluster {
  leader: TidalDb;
  followers: TidalDb[];
  /** The leader's end: the shared transport in-process; the listener over TCP. */
  transport: LeaderTransport;
  /** The transport each follower uses: the shared one in-process; its own connection over TCP. */
  followerTransports: FollowerTransport[];
  leaderHandle: LeaderHandle;
  followerHandles: FollowerHandle[];
  stop(): Promise<void>;
}

/** Over TCP on loopback: the leader listens on a free port and each follower connects with its own transport. */
export interface TcpClusterOptions {
  /** Default 'harness-token-0123' (a token is at least 16 bytes). */
  token?: string;
  /** TLS with certificates made for the test (test/streams/transports/tlsCertificates.ts). */
  tls?: boolean;
  /** Default 250 ms: a dead peer is found within a second, and a loaded machine does not trip it. */
  heartbeatMs?: number;
}

/** Which transport a suite runs over. */
export type TransportKind = 'in-process' | 'tcp' | 'tls';

export async function startCluster(opts: {
  followers?: number; shipIntervalMs?: number; transport?: Transport; leader?: TidalDbOptions; feedbackIntervalMs?: number;
  tcp?: TcpClusterOptions;
  /** 'tcp' is the same as `tcp: {}`. */
  kind?: TransportKind;
  /** Wraps the leader's side of whichever transport is used (e.g. a FaultInjectingTransport). */
  wrapLeader?: (transport: LeaderTransport) => LeaderTransport;
} = {}): Promise<Cluster> {
  const leader = await TidalDb.open({ halfLifeMs: HALF_LIVES, ...opts.leader });
  const followers = await Promise.all(Array.from({ length: opts.followers ?? 1 }, () => FollowerDb.open()));
  const peers = followers.map((_, i) => `f${i + 1}`);
  const tcpOptions = opts.tcp ?? (opts.kind === 'tcp' ? {} : opts.kind === 'tls' ? { tls: true } : undefined);
  const tcp = tcpOptions ? await tcpTransports(leader, followers, peers, tcpOptions) : null;
  const shared = opts.transport ?? new InProcessTransport({ capacity: 8 });
  const transport: LeaderTransport = tcp?.leader ?? shared;
  const followerTransports: FollowerTransport[] = tcp?.followers ?? followers.map(() => shared);
  const shippingTransport = opts.wrapLeader ? opts.wrapLeader(transport) : transport;
  const leaderHandle = startLeader({ db: leader, transport: shippingTransport, followers: peers, shipIntervalMs: opts.shipIntervalMs ?? 50 });
  const followerHandles = followers.map((db, i) =>
    startFollower({ db, transport: followerTransports[i]!, peer: peers[i]!, feedbackIntervalMs: opts.feedbackIntervalMs ?? 100 }));
  return {
    leader, followers, transport, followerTransports, leaderHandle, followerHandles,
    async stop() {
      leaderHandle.stop();
      for (const h of followerHandles) h.stop();
      for (const t of new Set([transport, ...followerTransports])) await (t as { close?: () => unknown }).close?.();
      await leader.close();
      for (const f of followers) await f.close();
    },
  };
}

async function tcpTransports(leader: TidalDb, followers: TidalDb[], peers: string[], tcp: TcpClusterOptions) {
  const token = tcp.token ?? 'harness-token-0123';
  const heartbeatMs = tcp.heartbeatMs ?? 250;
  const files = tcp.tls ? harnessTls() : null;
  const listen = files ? { tls: { cert: files.leaderCert, key: files.leaderKey } } : {};
  const connect = files ? { tls: { ca: files.ca } } : {};
  const listener = await TcpTransport.listen({ port: 0, token, db: leader, heartbeatMs, ...listen });
  const links = await Promise.all(followers.map((db, i) => TcpTransport.connect({ port: listener.port, peer: peers[i]!, token, db, heartbeatMs, ...connect })));
  return { leader: listener, followers: links };
}

let tlsCache: TlsFiles | null = null;
/** The test certificates, made once per process. */
function harnessTls(): TlsFiles {
  if (!tlsCache) {
    const made = tlsFiles();
    if ('skip' in made) throw new Error(made.skip);
    tlsCache = made;
  }
  return tlsCache;
}

/** Writes `n` signals over `items` items, types view/like/share, timestamps spread over a day. */
export async function writeSignals(db: TidalDb, n: number, items = 100, startIndex = 0): Promise<number> {
  let last = 0;
  const writes: Promise<number>[] = [];
  for (let i = startIndex; i < startIndex + n; i++) {
    const type = i % 10 === 0 ? 'share' : i % 3 === 0 ? 'like' : 'view';
    writes.push(db.signal({ itemId: `item-${(i * 7919) % items}`, type, weight: 1 + (i % 5) / 4, at: T0 + ((i * 7_333) % 86_400_000) }));
  }
  for (const seq of await Promise.all(writes)) last = Math.max(last, seq);
  return last;
}

export async function writeItems(db: TidalDb, items = 100): Promise<number> {
  const words = ['tidal', 'wave', 'harbour', 'signal', 'decay', 'moon', 'current', 'reef', 'surf', 'shore'];
  let last = 0;
  for (let i = 0; i < items; i++) {
    last = await db.writeItem({ id: `item-${i}`, text: `${words[i % 10]} ${words[(i * 3) % 10]} number ${i}`, fields: { n: i } });
  }
  return last;
}

/** Everything a node serves, for comparing nodes exactly. */
export function snapshotOf(db: TidalDb, at = T0 + 86_400_000) {
  return {
    lastSeq: db.lastSeq,
    view: db.retrieve({ signal: 'view', limit: 10_000, at }),
    like: db.retrieve({ signal: 'like', limit: 10_000, at }),
    share: db.retrieve({ signal: 'share', limit: 10_000, at }),
    search: db.search({ text: 'tidal', limit: 10_000, signal: 'view', at }),
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tidaldb-${prefix}-`));
}

export { until } from '../support/until.js';
