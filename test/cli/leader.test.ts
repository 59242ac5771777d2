/**
 * `tidaldb leader` as a user runs it: real child processes of the CLI. The
 * test feeds the leader NDJSON on stdin (`--ingest -`), bad lines included,
 * while a `tidaldb follower` process follows it over loopback; afterwards
 * both directories serve identical results. Under `--strict` a bad line
 * ends the run with exit 1 and what came before it is intact.
 *
 * Node 20 runs no TypeScript, so beforeAll compiles the CLI from the
 * current sources with the project's own tsc into a private directory
 * under .tmp/ (never dist/, which other tests build).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { tempDir } from '../db/tempDirs.js';
import { compileWithTsc, privateBuildDir } from '../wal/fixtures/compileWithTsc.js';
import { until } from '../support/until.js';

const TSCONFIG = fileURLToPath(new URL('./fixtures/tsconfig.cli.json', import.meta.url));
const TOKEN = 'leader-process-token';
const AT = Date.UTC(2026, 0, 1);
const HALF_LIVES = ['--half-life', 'view=3600000', '--half-life', 'like=21600000'];

let buildDir: string;
let cliJs: string;
const children = new Set<Child>();

beforeAll(() => {
  buildDir = privateBuildDir('leader-cli');
  cliJs = compileWithTsc(TSCONFIG, buildDir, 'streams/cli/main.js');
});

afterAll(() => {
  for (const child of children) child.process.kill('SIGKILL');
  fs.rmSync(buildDir, { recursive: true, force: true });
});

/** A CLI process and everything it printed so far. */
interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function tidaldb(args: string[]): Child {
  const proc = spawn(process.execPath, [cliJs, ...args], { env: { ...process.env, TIDALDB_TOKEN: TOKEN } });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const child: Child = { process: proc, stdout: () => out, stderr: () => err, exited };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}


function listeningPort(leader: Child): number | null {
  const m = /listening on 127\.0\.0\.1:(\d+) for /.exec(leader.stdout());
  return m ? Number(m[1]) : null;
}

/** The NDJSON the test writes: items, then signals of two types over them, at fixed times. */
function goodLines(items: number, signals: number): string[] {
  const words = ['tidal', 'wave', 'harbour', 'moon', 'reef'];
  const lines = Array.from({ length: items }, (_, i) => JSON.stringify({ item: { id: `item-${i}`, text: `${words[i % 5]} ${words[(i * 3) % 5]} ${i}`, fields: { n: i } } }));
  for (let i = 0; i < signals; i++) {
    const type = i % 4 === 0 ? 'like' : 'view';
    lines.push(JSON.stringify({ signal: { itemId: `item-${(i * 7) % items}`, type, weight: 1 + (i % 3), at: AT + (i % 1000) * 60_000 } }));
  }
  return lines;
}

/** What a database serves, for comparing leader and follower exactly. */
function served(db: TidalDb) {
  const at = AT + 86_400_000;
  return {
    lastSeq: db.lastSeq,
    view: db.retrieve({ signal: 'view', limit: 1000, at }),
    like: db.retrieve({ signal: 'like', limit: 1000, at }),
    search: db.search({ text: 'tidal', limit: 1000, signal: 'view', at }),
    item7: db.getItem('item-7'),
  };
}

describe('tidaldb leader process', () => {
  it('--ingest - with a tidaldb follower process over loopback: bad lines reported by line number and skipped, identical retrieve results', async () => {
    const leaderDir = tempDir('leader-proc');
    const followerDir = tempDir('follower-proc');
    const leader = tidaldb(['leader', '--dir', leaderDir, '--listen', '127.0.0.1:0', '--follower', 'f1', '--ingest', '-',
      '--ship-interval-ms', '50', '--status-interval', '200', ...HALF_LIVES]);
    await until(() => listeningPort(leader) !== null, 'the leader to listen', { timeoutMs: 20_000, show: [leader] });
    const follower = tidaldb(['follower', '--dir', followerDir, '--connect', `127.0.0.1:${listeningPort(leader)}`, '--peer', 'f1', '--status-interval', '200']);

    const lines = goodLines(40, 3000);
    // bad lines at known places: invalid JSON, an unknown shape, and a write the database refuses (InvalidInput)
    lines.splice(100, 0, '{"signal": {"itemId": "item-1", "type": "view"');
    lines.splice(2000, 0, JSON.stringify({ click: { itemId: 'item-1' } }));
    lines.splice(2500, 0, JSON.stringify({ signal: { itemId: 'item-1', type: 'view', weight: 'lots' } }));
    for (let i = 0; i < lines.length; i += 500) {
      leader.process.stdin.write(`${lines.slice(i, i + 500).join('\n')}\n`);
      await new Promise((r) => setTimeout(r, 10));
    }
    leader.process.stdin.end();
    const written = 3040;
    await until(() => /^ingest stdin done/m.test(leader.stdout()), 'the ingest to finish', { timeoutMs: 20_000, show: [leader, follower] });
    expect(leader.stdout()).toMatch(/^ingest stdin done, 3,043 lines: 3,040 written, 3 bad lines skipped; leader seqno 3,040; serving until SIGINT or SIGTERM$/m);
    expect(leader.stderr()).toMatch(/^warning: ingest stdin line 101: invalid JSON: [^\n]*; skipped$/m);
    expect(leader.stderr()).toMatch(/^warning: ingest stdin line 2001: expected one key, "signal" or "item", got "click"; skipped$/m);
    expect(leader.stderr()).toMatch(/^warning: ingest stdin line 2501: [^\n]*weight[^\n]*; skipped$/m);

    await until(() => /leader seqno 3,040 {2}"f1" (streaming, )?lag 0 events/.test(leader.stdout()), 'the leader to see f1 caught up', { timeoutMs: 20_000, show: [leader, follower] });
    await until(() => /applied 3,040 {2}leader 3,040 {2}lag 0 events/.test(follower.stdout()), 'the follower to report caught up', { timeoutMs: 20_000, show: [leader, follower] });
    expect(leader.stdout()).toMatch(/^follower "f1" connected from 127\.0\.0\.1:\d+$/m);

    // the directory is the running leader's: a second leader on it is refused
    const second = tidaldb(['leader', '--dir', leaderDir, '--listen', '127.0.0.1:0', '--follower', 'f1']);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(new RegExp(`^error: leader: --dir ${escape(leaderDir)} is in use: [^\\n]*locked by [^\\n]*\\n$`));

    follower.process.kill('SIGTERM');
    expect(await follower.exited).toBe(0);
    expect(follower.stderr()).toBe('');
    await until(() => /^warning: follower "f1" \(127\.0\.0\.1:\d+\) closed: /m.test(leader.stderr()), 'the leader to see f1 go', { timeoutMs: 20_000, show: [leader] });
    leader.process.kill('SIGTERM');
    expect(await leader.exited).toBe(0);

    const leaderDb = await TidalDb.open({ dir: leaderDir });
    const replica = await FollowerDb.open({ dir: followerDir });
    try {
      expect(leaderDb.lastSeq).toBe(written);
      expect(served(replica)).toEqual(served(leaderDb));
      const { view, like, search } = served(leaderDb);
      expect([view.length, like.length, search.length]).toEqual([30, 10, 8]); // what the 3,040 writes rank, not an empty match
    } finally {
      await replica.close();
      await leaderDb.close();
    }
  });

  it('--strict: the first bad line ends the run with exit 1, naming it; what was written before it is intact after reopening', async () => {
    const dir = tempDir('leader-strict');
    const leader = tidaldb(['leader', '--dir', dir, '--listen', '127.0.0.1:0', '--follower', 'f1', '--ingest', '-', '--strict', ...HALF_LIVES]);
    const lines = goodLines(5, 995);
    lines.push('{"item": {"id": ""}}', ...goodLines(5, 10));
    leader.process.stdin.end(`${lines.join('\n')}\n`);
    expect(await leader.exited).toBe(1);
    expect(leader.stderr()).toMatch(/^error: leader: ingest stdin line 1001: [^\n]*; stopped there \(--strict\), 1,000 writes before it are durable \(leader seqno 1,000\)$/m);
    const db = await TidalDb.open({ dir });
    try {
      expect(db.lastSeq).toBe(1000);
      expect(db.retrieve({ signal: 'view', limit: 10, at: AT }).length).toBe(5);
    } finally {
      await db.close();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
