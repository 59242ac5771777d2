/** `--token-file` (issue 12): the CLI reads the shared secret from a file, so it stays out of `ps`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { tokenFileIn } from '../../streams/cli/optionParsers.js';
import { tempDir } from '../db/tempDirs.js';
import { cli } from './cliRun.js';

describe('tokenFileIn (--token-file FILE)', () => {
  const parse = tokenFileIn('--token-file');

  it('reads the token, without its trailing newline (LF or CRLF), and says whether other users can read the file', () => {
    const dir = tempDir('cli');
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'a-random-token-0123456789\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    expect(parse(file)).toEqual({ path: file, token: 'a-random-token-0123456789', othersCanRead: false });
    fs.writeFileSync(file, 'a-random-token-0123456789\r\n');
    fs.chmodSync(file, 0o644);
    expect(parse(file)).toEqual({ path: file, token: 'a-random-token-0123456789', othersCanRead: process.platform !== 'win32' });
  });

  it('a missing, empty or oversized file, or a directory, is a usage error naming it', () => {
    const dir = tempDir('cli');
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '\n');
    const big = path.join(dir, 'big');
    fs.writeFileSync(big, 'x'.repeat(10_000));
    expect(() => parse(path.join(dir, 'missing'))).toThrowError(InvalidArgumentError);
    expect(() => parse(path.join(dir, 'missing'))).toThrowError(/cannot read the token from .*missing/);
    expect(() => parse(empty)).toThrowError(/is empty; --token-file reads the shared secret from it/);
    expect(() => parse(big)).toThrowError(/10000 bytes, more than a token/);
    expect(() => parse(dir)).toThrowError(/not a file/);
  });
});

describe('tidaldb follower --token-file, through the command line', () => {
  it('--token with --token-file is a usage error; a short token from the file is refused (exit 2); a readable-by-others file warns', async () => {
    const dir = tempDir('cli');
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'short\n');
    fs.chmodSync(file, 0o644);
    const base = ['follower', '--dir', path.join(dir, 'replica'), '--connect', '127.0.0.1:1', '--token-file', file];
    const both = await cli(...base, '--token', 'a-random-token-0123456789');
    expect(both).toMatchObject({ code: 2, err: 'error: follower: give --token or --token-file, not both\n' });
    const short = await cli(...base);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/^warning: --token-file .* is readable by other users: chmod 600 it\nerror: follower: the token is 5 bytes; at least 16 are required/);
  });
});

describe('tidaldb leader: --token-file and --insecure, through the command line (issue 12)', () => {
  it('--token with --token-file is a usage error, as for the follower (the leader took the file and ignored --token)', async () => {
    const dir = tempDir('cli');
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'short\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    const both = await cli('leader', '--dir', path.join(dir, 'leader'), '--listen', '127.0.0.1:0', '--follower', 'f1', '--token-file', file, '--token', 'a-random-token-0123456789');
    expect(both).toMatchObject({ code: 2, err: 'error: leader: give --token or --token-file, not both\n' });
    expect(fs.existsSync(path.join(dir, 'leader'))).toBe(false); // refused before anything was opened
  });

  it('a --token-file other users can read warns, as for the follower (docs/security.md: the CLI warns)', async () => {
    const dir = tempDir('cli');
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'short\n');
    fs.chmodSync(file, 0o644);
    const short = await cli('leader', '--dir', path.join(dir, 'leader'), '--listen', '127.0.0.1:0', '--follower', 'f1', '--token-file', file);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/^warning: --token-file .* is readable by other users: chmod 600 it\nerror: leader: the token is 5 bytes; at least 16 are required/);
  });

  it('--listen off loopback without TLS exits 1 naming --insecure; with --insecure the leader warns at start', async () => {
    const dir = tempDir('cli');
    const exposed = await cli('leader', '--dir', path.join(dir, 'leader'), '--listen', '0.0.0.0:0', '--follower', 'f1', '--token', 'a-random-token-0123456789');
    expect(exposed.code).toBe(1);
    expect(exposed.err).toMatch(/^error: leader: cannot listen on 0\.0\.0\.0:0: listening on 0\.0\.0\.0 without TLS would let anyone .* or insecure: true \(--insecure\)/);
    const { runLeader } = await import('../../streams/cli/leader.js');
    const { captureIo } = await import('./captureIo.js');
    const io = captureIo();
    const stopped = new AbortController();
    stopped.abort(); // starts, prints what it prints at start, and stops
    const code = await runLeader({ dir: path.join(dir, 'insecure'), listen: { host: '0.0.0.0', port: 0 }, followers: ['f1'], token: 'a-random-token-0123456789', insecure: true, shipIntervalMs: 20 },
      io, { signal: stopped.signal });
    expect(code).toBe(0);
    expect(io.stderr()).toMatch(/^warning: listening on 0\.0\.0\.0 without TLS \(insecure\): frames are authenticated but the data travels in clear/);
    expect(io.stdout()).toMatch(/listening on 0\.0\.0\.0:\d+ for "f1"/);
  });
});
