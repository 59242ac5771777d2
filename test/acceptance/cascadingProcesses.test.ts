/**
 * Cascading followers as a user runs them (issue 11): three `tidaldb`
 * processes over loopback TCP, leader → `follower --serve` → follower. The
 * middle process is stopped (SIGTERM) and started again on its directory
 * and port; the edge resumes through it. Afterwards the three directories
 * serve identical results.
 *
 * Node 20 runs no TypeScript, so beforeAll compiles the CLI from the
 * current sources into a private directory under .tmp/ (as test/cli/leader.test.ts does).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { compileWithTsc, privateBuildDir } from '../wal/fixtures/compileWithTsc.js';
import { snapshotOf, tempDir, T0, until } from './harness.js';

const TSCONFIG = fileURLToPath(new URL('../cli/fixtures/tsconfig.cli.json', import.meta.url));
const TOKEN = 'cascade-process-token';
let buildDir: string;
let cliJs: string;
const children = new Set<ChildProcessWithoutNullStreams>();

beforeAll(() => {
  buildDir = privateBuildDir('cascade-cli');
  cliJs = compileWithTsc(TSCONFIG, buildDir, 'streams/cli/main.js');
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(buildDir, { recursive: true, force: true });
});

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
  children.add(proc);
  void exited.then(() => children.delete(proc));
  return { process: proc, stdout: () => out, stderr: () => err, exited };
}

function port(child: Child, pattern: RegExp): number | null {
  const m = pattern.exec(child.stdout());
  return m ? Number(m[1]) : null;
}

function signalLines(from: number, n: number): string {
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) lines.push(JSON.stringify({ signal: { itemId: `item-${(i * 7) % 50}`, type: 'view', weight: 1 + (i % 3), at: T0 + i * 1_000 } }));
  return `${lines.join('\n')}\n`;
}

const caughtUp = (seq: number) => new RegExp(`applied ${seq.toLocaleString('en-US')} {2}leader ${seq.toLocaleString('en-US')} {2}lag 0 events`);

describe('tidaldb follower --serve: a chain of processes over loopback TCP', () => {
  it('leader → middle → edge converge, and the edge resumes through a restarted middle', async () => {
    const [leaderDir, middleDir, edgeDir] = ['cascade-leader', 'cascade-middle', 'cascade-edge'].map(tempDir);
    const leader = tidaldb(['leader', '--dir', leaderDir!, '--listen', '127.0.0.1:0', '--follower', 'middle', '--ingest', '-',
      '--ship-interval-ms', '50', '--status-interval', '200', '--half-life', 'view=3600000']);
    await until(() => port(leader, /listening on 127\.0\.0\.1:(\d+) for /) !== null, 'the leader to listen', { timeoutMs: 20_000, show: [leader] });
    const leaderPort = port(leader, /listening on 127\.0\.0\.1:(\d+) for /)!;
    const middleArgs = (servePort: number) => ['follower', '--dir', middleDir!, '--connect', `127.0.0.1:${leaderPort}`, '--peer', 'middle',
      '--serve', `127.0.0.1:${servePort}`, '--serve-follower', 'edge', '--status-interval', '200'];
    let middle = tidaldb(middleArgs(0));
    const servedAt = /serving followers "edge" at 127\.0\.0\.1:(\d+)/;
    await until(() => port(middle, servedAt) !== null, 'the middle to serve', { timeoutMs: 20_000, show: [middle] });
    const servePort = port(middle, servedAt)!;
    const edge = tidaldb(['follower', '--dir', edgeDir!, '--connect', `127.0.0.1:${servePort}`, '--peer', 'edge', '--status-interval', '200']);

    leader.process.stdin.write(signalLines(0, 500));
    await until(() => caughtUp(500).test(edge.stdout()), 'the edge to catch up through the middle', { timeoutMs: 20_000, show: [leader, middle, edge] });

    middle.process.kill('SIGTERM');
    expect(await middle.exited).toBe(0);
    leader.process.stdin.write(signalLines(500, 300)); // while the middle is down
    middle = tidaldb(middleArgs(servePort));
    await until(() => port(middle, servedAt) === servePort, 'the middle to serve again on its port', { timeoutMs: 20_000, show: [middle] });
    leader.process.stdin.write(signalLines(800, 200));
    leader.process.stdin.end();
    await until(() => caughtUp(1_000).test(edge.stdout()), 'the edge to catch up through the restarted middle', { timeoutMs: 20_000, show: [leader, middle, edge] });

    for (const child of [edge, middle, leader]) {
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
    }
    const dbs = [await TidalDb.open({ dir: leaderDir! }), await FollowerDb.open({ dir: middleDir! }), await FollowerDb.open({ dir: edgeDir! })];
    try {
      expect(dbs[0]!.lastSeq).toBe(1_000);
      expect(snapshotOf(dbs[1]!)).toEqual(snapshotOf(dbs[0]!));
      expect(snapshotOf(dbs[2]!)).toEqual(snapshotOf(dbs[0]!));
    } finally {
      for (const db of dbs) await db.close();
    }
  }, 90_000);
});
