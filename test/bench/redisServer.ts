/**
 * Redis servers for the baseline: a primary and a replica on free loopback
 * ports, each a `redis-server` child process with its own temporary
 * directory, no persistence (`--save '' --appendonly no`), and diskless
 * initial sync without the default 5 s delay. `close()` sends
 * SHUTDOWN NOSAVE, waits for the process (SIGKILL after a timeout).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import * as net from 'node:net';
import { delimiter, join } from 'node:path';
import { pollUntil } from './pollUntil.js';
import { parseInfo, RespClient } from './respClient.js';

/** A fresh redis-server answers PING in milliseconds; a replica's first sync of an empty primary takes well under a second. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_CHARS = 4096;

/** Whether `name` is an executable on PATH. */
export async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter((d) => d.length > 0)) {
    if (await access(join(dir, name), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

/** A free TCP port on loopback (free when asked: the usual small race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private tail = '';
  private exited = false;
  private readonly exit: Promise<void>;
  private readonly killOnExit = (): void => {
    this.child.kill('SIGKILL');
  };

  private constructor(readonly port: number, private readonly child: ChildProcess, public client: RespClient | null = null) {
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    process.once('exit', this.killOnExit);
    this.exit = new Promise((resolve) => {
      const done = (): void => {
        this.exited = true;
        process.off('exit', this.killOnExit);
        resolve();
      };
      child.once('exit', done);
      child.once('error', (err) => {
        keep(Buffer.from(`spawn failed: ${err.message}\n`));
        done();
      });
    });
  }

  /** Starts `redis-server` in `dir` (extra args e.g. `--replicaof`) and resolves once it answers PING. */
  static async start(dir: string, extraArgs: readonly string[] = []): Promise<RedisServer> {
    const port = await freePort();
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--repl-diskless-sync-delay', '0', '--daemonize', 'no', '--logfile', '', ...extraArgs,
    ];
    const server = new RedisServer(port, spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const waitedMs = await pollUntil(async () => {
        if (server.exited) throw new Error(`redis-server on port ${port} exited at start:\n${server.output()}`);
        server.client ??= await RespClient.connect(port).catch(() => null);
        return server.client !== null && (await server.client.call(['PING']).catch(() => null)) === 'PONG';
      }, { everyMs: 20, timeoutMs: START_TIMEOUT_MS });
      if (!Number.isFinite(waitedMs)) throw new Error(`redis-server on port ${port} not answering after ${START_TIMEOUT_MS} ms:\n${server.output()}`);
      return server;
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  /** The connected client (throws before start finished). */
  get rc(): RespClient {
    if (!this.client) throw new Error(`redis-server on port ${this.port} has no connection`);
    return this.client;
  }

  /** `INFO <section>` as a map of its fields. */
  async info(section: string): Promise<Map<string, string>> {
    return parseInfo(await this.rc.call(['INFO', section]));
  }

  /** `master_repl_offset`: bytes of replication stream produced (primary) or processed (replica). */
  async replicationOffset(): Promise<number> {
    const offset = Number((await this.info('replication')).get('master_repl_offset'));
    if (!Number.isFinite(offset)) throw new Error(`redis on port ${this.port}: no master_repl_offset in INFO replication`);
    return offset;
  }

  private trySend(args: readonly string[]): boolean {
    try {
      this.client?.command(args);
      return this.client !== null;
    } catch {
      return false;
    }
  }

  output(): string {
    return this.tail.trim();
  }

  /** SHUTDOWN NOSAVE, then SIGKILL if still running after STOP_TIMEOUT_MS. Idempotent. */
  async close(): Promise<void> {
    if (!this.exited) {
      // Without a working connection, SIGTERM (redis shuts down on it, without saving here: --save '').
      if (!this.trySend(['SHUTDOWN', 'NOSAVE'])) this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exit;
      clearTimeout(timer);
    }
    this.client?.close();
  }
}

/** A primary and a replica of it whose link is up. */
export interface RedisPair {
  readonly primary: RedisServer;
  readonly replica: RedisServer;
}

/** Starts a primary in `primaryDir` and a replica of it in `replicaDir`; resolves once `master_link_status:up`. */
export async function startRedisPair(primaryDir: string, replicaDir: string): Promise<RedisPair> {
  const primary = await RedisServer.start(primaryDir);
  let replica: RedisServer | null = null;
  try {
    replica = await RedisServer.start(replicaDir, ['--replicaof', '127.0.0.1', String(primary.port)]);
    const up = replica;
    const waitedMs = await pollUntil(async () => (await up.info('replication')).get('master_link_status') === 'up', { everyMs: 20, timeoutMs: START_TIMEOUT_MS });
    if (!Number.isFinite(waitedMs)) throw new Error(`redis replica on port ${up.port} not linked after ${START_TIMEOUT_MS} ms:\n${up.output()}`);
    await awaitStreaming({ primary, replica: up });
    return { primary, replica };
  } catch (err) {
    await Promise.allSettled([replica?.close(), primary.close()]);
    throw err;
  }
}

/**
 * Waits until a write on the primary shows on the replica. After a
 * diskless full sync the link reads `up` at once, but Redis 7 holds the
 * command stream until the replica's first REPLCONF ACK, sent once a
 * second: measured from `up`, a run would start with a stall of up to 1 s.
 */
async function awaitStreaming({ primary, replica }: RedisPair): Promise<void> {
  await primary.rc.call(['SET', 'tidaldb-bench-probe', '1']);
  const target = await primary.replicationOffset();
  const waitedMs = await pollUntil(async () => (await replica.replicationOffset()) >= target, { everyMs: 5, timeoutMs: START_TIMEOUT_MS });
  if (!Number.isFinite(waitedMs)) throw new Error(`redis replica on port ${replica.port} not at offset ${target} after ${START_TIMEOUT_MS} ms`);
  await primary.rc.call(['DEL', 'tidaldb-bench-probe']);
}

/** Shuts the replica, then the primary, down. */
export async function closeRedisPair(pair: RedisPair): Promise<void> {
  try {
    await pair.replica.close();
  } finally {
    await pair.primary.close();
  }
}
