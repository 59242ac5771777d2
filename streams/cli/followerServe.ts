/**
 * `tidaldb follower --serve HOST:PORT --serve-follower ID`: the follower
 * serves followers of its own over TCP, as a relay (docs/cascading.md): it
 * listens with its own database (listenRelay) and ships what it stores
 * (startRelay), with the token it uses towards its leader.
 */
import type { TidalDb } from '../../src/index.js';
import { listenRelay } from '../listenRelay.js';
import type { LeaderHandle } from '../startLeader.js';
import { startRelay } from '../startRelay.js';
import type { TcpLeaderTransport } from '../transports/tcpLeaderTransport.js';
import { CliError, type CliOutput, errorMessage, ExitCode, oneLine } from './cliIo.js';
import type { LeaderTls } from './leaderOptions.js';
import type { HostPort } from './parseHostPort.js';

/** Where and whom a follower serves. */
export interface FollowerServeOptions {
  readonly address: HostPort;
  /** The peer ids of its own followers; at least one. */
  readonly followers: readonly string[];
  /** How often its relay ships what it stored and announces the origin's position, in ms. Default 2000 (startLeader's). */
  readonly shipIntervalMs?: number;
  /** Serve off loopback without TLS (frames are authenticated, not encrypted): `--serve-insecure`. */
  readonly insecure?: boolean;
  /** TLS for the relay's own listener, as `tidaldb leader`'s: `--serve-tls-cert`, `--serve-tls-key`, `--serve-tls-ca`. */
  readonly tls?: LeaderTls;
}

/** A running relay: its listener and its pipeline, closed together. */
export interface FollowerServing {
  readonly port: number;
  readonly handle: LeaderHandle;
  close(): Promise<void>;
}

/**
 * Listens at `options.address` and starts the relay; a listen that fails is a `Failure` naming the address.
 * Warnings (serving off loopback with `--serve-insecure`) go to `warnings`, stderr. */
export async function serveFollowers(db: TidalDb, options: FollowerServeOptions, token: string, notices: CliOutput, warnings: CliOutput): Promise<FollowerServing> {
  const { host, port } = options.address;
  if (options.followers.length === 0) throw new CliError(ExitCode.Usage, 'follower: --serve needs at least one --serve-follower ID: the peer ids this follower ships to');
  let listener: TcpLeaderTransport;
  try {
    listener = await listenRelay({
      host, port, token, db, followers: [...options.followers], ...(options.insecure && { insecure: true }), ...(options.tls && { tls: options.tls }),
    });
  } catch (err) {
    throw new CliError(ExitCode.Failure, `follower: cannot serve at ${host}:${port}: ${oneLine(errorMessage(err))}`, { cause: err });
  }
  for (const warning of listener.warnings) warnings.write(`warning: ${warning}\n`);
  const handle = startRelay({ db, transport: listener, followers: [...options.followers], shipIntervalMs: options.shipIntervalMs });
  notices.write(`serving followers ${options.followers.map((f) => JSON.stringify(f)).join(', ')} at ${host}:${listener.port}\n`);
  return {
    port: listener.port, handle,
    async close() {
      await handle.stop();
      await listener.close();
    },
  };
}
