/**
 * The built `tidaldb` executable, spawned as a user runs it:
 * `node dist/streams/cli/main.js …` after `tsc -p tsconfig.build.json`.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { startLeader, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { flipByte, walDir } from './walDir.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const main = path.join(repo, 'dist/streams/cli/main.js');
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repo, timeout: 120_000 });
}, 130_000);

afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion. */
function tidaldb(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [main, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      if (err && code === null) reject(err);
      else resolve({ code, stdout, stderr });
    });
  });
}

describe('the tidaldb executable', () => {
  it('is an ESM script with a shebang, named in package.json "bin"', () => {
    expect(fs.readFileSync(main, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['tidaldb']).toBe('dist/streams/cli/main.js');
  });

  it('--help exits 0; an unknown flag exits 2 with one line on stderr', async () => {
    const help = await tidaldb(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: tidaldb [options] [command]');
    const inspectHelp = await tidaldb(['inspect', '--help']);
    expect(inspectHelp.code).toBe(0);
    expect(inspectHelp.stdout).toContain('Usage: tidaldb inspect [options] <path>');
    const bad = await tidaldb(['verify', '--fast', '/tmp']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("error: unknown option '--fast'\n");
    expect(bad.stdout).toBe('');
  });

  it('inspect and verify a directory written by TidalDb; verify exits 1 once a sealed segment has a flipped byte', async () => {
    const w = await walDir();
    const inspect = await tidaldb(['inspect', w.dir]);
    expect(inspect.code).toBe(0);
    // Two segments to a .wal file (wal.packSegments): the file's row, then one row per segment.
    expect(inspect.stdout).toMatch(new RegExp(`^${w.segments[0]} +1\\.\\.\\d+ +[\\d,]+ +\\d+ +2 segments +OK$`, 'm'));
    expect(inspect.stdout).toMatch(/^  @0 segment 1 +1\.\.\d+ +[\d,]+ +\d+ +sealed +OK$/m);
    const batches = await tidaldb(['inspect', '--json', path.join(w.dir, w.segments[0]!)]);
    expect(JSON.parse(batches.stdout).segments[0].batches.length).toBeGreaterThan(0);
    const ok = await tidaldb(['verify', w.dir]);
    expect(ok).toEqual({ code: 0, stdout: expect.stringMatching(/^OK: /), stderr: '' });

    flipByte(w.dir, w.segments[1]!, 150);
    const corrupt = await tidaldb(['verify', w.dir]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stdout).toMatch(new RegExp(`^CORRUPT: ${w.segments[1]}: .*offset \\d+.*\\n$`));
    const missing = await tidaldb(['verify', path.join(w.dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: ${path.join(w.dir, 'nope')}: no such directory\n`);
  });

  it('demo --signals 500 --followers 1 exits 0 and prints PASS', async () => {
    const demo = await tidaldb(['demo', '--signals', '500', '--followers', '1']);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^PASS: followers match the leader \(lag 0 after \d+ ms\)$/m);
  });

  it('follower: follows a leader over TCP, prints status lines, and exits 0 on SIGTERM', async () => {
    const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
    cleanups.push(() => leader.close());
    for (let i = 0; i < 30; i++) await leader.signal({ itemId: `s${i % 4}`, type: 'view' });
    const listener = await TcpTransport.listen({ port: 0, token: 'spawn-token-0123456', db: leader });
    cleanups.push(() => listener.close());
    const shipping = startLeader({ db: leader, transport: listener, followers: ['spawned'], shipIntervalMs: 50 });
    cleanups.push(() => shipping.stop());

    const child = spawn(process.execPath, [
      main, 'follower', '--dir', tempDir('cli'), '--connect', `127.0.0.1:${listener.port}`, '--peer', 'spawned', '--status-interval', '100',
    ], { env: { ...process.env, TIDALDB_TOKEN: 'spawn-token-0123456' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/applied 30 {2}leader 30 {2}lag 0 events/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toMatch(/applied 30 {2}leader 30 {2}lag 0 events {2}staleness \d+ ms/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('follower: a refused connection exits 1 with one line', async () => {
    const run = await tidaldb(['follower', '--dir', tempDir('cli'), '--connect', '127.0.0.1:1', '--token', 'a-token-of-16-bytes-or-more']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: follower: cannot connect to 127\.0\.0\.1:1: [^\n]*\n$/);
  });
});
