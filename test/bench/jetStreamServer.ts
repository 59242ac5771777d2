/**
 * A real nats-server with JetStream for tests: a child process on a free
 * loopback port, with its store in a temporary directory, started and
 * stopped by the test itself. `stop()` (SIGTERM) and `kill()` (SIGKILL, a
 * crash) leave the store for `restart()` on the same port; `close()` stops
 * it and removes the directory.
 *
 * Debian's `nats-server` package (`apt-get install nats-server`) provides
 * the binary; where it is missing, tests skip with NATS_SKIP_REASON (and the
 * jetstream bench says so). It lives with the benchmarks so that `npm run
 * bench`'s build (test/bench) has it; the tests import it from here too.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './redisServer.js';

/** nats-server answers on its port within a few hundred ms of starting; JetStream recovers a small store as fast. */
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_CHARS = 8192;

/** True when a `nats-server` binary runs here. */
export const NATS_SERVER_AVAILABLE = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).status === 0;

/** Why JetStream tests skip, and how to make them run. */
export const NATS_SKIP_REASON = 'nats-server is not installed: `apt-get install nats-server` (Debian) to run the JetStream transport tests';

export interface NatsServerOptions {
  /** The server's max_payload, in bytes. Default 1 MiB (NATS's own default). */
  readonly maxPayloadBytes?: number;
  /** The loopback port. Default: a free one. */
  readonly port?: number;
  /** JetStream's file store limit (streams reserve their max_bytes against it), in bytes. Default 2 GiB. */
  readonly maxFileStoreBytes?: number;
}

export class NatsServer {
  private child: ChildProcess | null = null;
  private exit: Promise<void> = Promise.resolve();
  private tail = '';
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  private constructor(readonly port: number, readonly dir: string, private readonly options: NatsServerOptions) {}

  /** Starts nats-server -js on a free loopback port (or `port`) with a fresh store; resolves once it accepts connections. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const server = NatsServer.create(options.port ?? await freePort(), options);
    try {
      await server.restart();
      return server;
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  /** A server on `port` that is not running yet (`restart()` starts it): for clients that must find NATS down first. */
  static create(port: number, options: NatsServerOptions = {}): NatsServer {
    return new NatsServer(port, fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-nats-')), options);
  }

  /** The client URL. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.child !== null;
  }

  /** Starts it again (after stop or kill) on the same port, with the same store. */
  async restart(): Promise<void> {
    if (this.child) throw new Error(`nats-server on port ${this.port} is already running`);
    const conf = path.join(this.dir, 'nats.conf');
    const store = path.join(this.dir, 'store');
    fs.writeFileSync(conf, [
      `listen: 127.0.0.1:${this.port}`,
      `max_payload: ${this.options.maxPayloadBytes ?? 1024 * 1024}`,
      `jetstream { store_dir: ${JSON.stringify(store)}, max_memory_store: 256MB, max_file_store: ${this.options.maxFileStoreBytes ?? 2 * 1024 ** 3} }`,
      '',
    ].join('\n'));
    this.tail = ''; // 'Server is ready' must be this run's
    const child = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    process.once('exit', this.killOnExit);
    this.exit = new Promise((resolve) => child.once('exit', () => {
      if (this.child === child) this.child = null;
      process.off('exit', this.killOnExit);
      resolve();
    }));
    await this.waitReady();
  }

  /** SIGTERM, waiting for the process (SIGKILL after a timeout). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: the server dies without closing anything cleanly. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the server and removes its directory. Idempotent. */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines the server printed, for failure messages. */
  output(): string {
    return this.tail.trim();
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exit;
    clearTimeout(timer);
  }

  private async waitReady(): Promise<void> {
    const start = Date.now();
    while (!this.tail.includes('Server is ready')) {
      if (!this.child) throw new Error(`nats-server on port ${this.port} exited at start:\n${this.output()}`);
      if (Date.now() - start > START_TIMEOUT_MS) throw new Error(`nats-server on port ${this.port} not ready after ${START_TIMEOUT_MS} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await portAccepts(this.port);
  }
}

function portAccepts(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
