/**
 * A `tidaldb follower` child process, started from the built CLI exactly as
 * an operator would start one:
 *
 *   TIDALDB_TOKEN=… node dist/streams/cli/main.js follower --dir DIR --connect 127.0.0.1:PORT --peer ID
 *
 * The token goes in the environment (a flag would show in `ps`). Its output
 * is kept (the last OUTPUT_TAIL_CHARS) for the error message when it fails.
 *
 * BENCH_FOLLOWER_NODE_ARGS (space-separated) are passed to node before the
 * script, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the
 * followers (node refuses --cpu-prof in NODE_OPTIONS).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../streams/cli/main.js', import.meta.url));
const NODE_ARGS = (process.env.BENCH_FOLLOWER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
/** What is kept of a child's stdout and stderr: enough for its last status lines and an error. */
const OUTPUT_TAIL_CHARS = 8192;
/** SIGTERM closes the follower's database, which writes a checkpoint: seconds at 1M events, not minutes. */
const STOP_TIMEOUT_MS = 60_000;

export interface FollowerProcessOptions {
  readonly dir: string;
  readonly port: number;
  readonly peer: string;
  readonly token: string;
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class FollowerProcess {
  readonly peer: string;
  readonly dir: string;
  /** Resolves when the child has exited (never rejects). */
  readonly exited: Promise<ChildExit>;
  private readonly child: ChildProcess;
  private tail = '';
  private exit: ChildExit | null = null;
  private readonly killOnExit = (): void => {
    this.child.kill('SIGKILL');
  };

  constructor(options: FollowerProcessOptions) {
    this.peer = options.peer;
    this.dir = options.dir;
    const args = [...NODE_ARGS, CLI, 'follower', '--dir', options.dir, '--connect', `127.0.0.1:${options.port}`, '--peer', options.peer];
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, TIDALDB_TOKEN: options.token }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    // A bench process that dies must not leave followers behind.
    process.once('exit', this.killOnExit);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        keep(Buffer.from(`spawn failed: ${err.message}\n`));
        this.finish({ code: null, signal: null }, resolve);
      });
      this.child.once('exit', (code, signal) => this.finish({ code, signal }, resolve));
    });
  }

  /** Whether the child is still running. */
  get running(): boolean {
    return this.exit === null;
  }

  /** The child's last output, for error messages. */
  output(): string {
    return this.tail.trim();
  }

  /**
   * SIGTERM (the follower closes its transport and database, exit 0), then
   * SIGKILL if it has not exited within STOP_TIMEOUT_MS. Resolves with how it ended.
   */
  async stop(): Promise<ChildExit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Throws unless the child exited 0 (after `stop()`). */
  assertCleanExit(exit: ChildExit): void {
    if (exit.code === 0) return;
    throw new Error(`follower ${this.peer} exited with ${exit.code ?? exit.signal}; its output:\n${this.output()}`);
  }

  private finish(exit: ChildExit, resolve: (exit: ChildExit) => void): void {
    this.exit = exit;
    process.off('exit', this.killOnExit);
    resolve(exit);
  }
}

/** Stops every follower, even when one fails; returns how each ended. */
export async function stopAll(followers: readonly FollowerProcess[]): Promise<ChildExit[]> {
  return Promise.all(followers.map((f) => f.stop()));
}
