/**
 * Replication across processes: a follower started from the CLI (a real
 * child process) is killed with SIGKILL and restarted mid-stream, and the
 * leader is restarted mid-stream too. Afterwards the follower's directory
 * holds exactly the leader's state: nothing lost, nothing counted twice.
 *
 * Node 20 cannot run TypeScript, so beforeAll compiles the CLI (and what it
 * imports) with the project's own tsc into a private directory under .tmp/,
 * never touching dist/ (other tests build that).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { type LeaderHandle, startLeader, TcpTransport, type TcpLeaderTransport } from '../../streams/index.js';
import { HALF_LIVES, snapshotOf, tempDir, until, writeItems, writeSignals } from './harness.js';
import { copyDir } from '../db/tempDirs.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const TSCONFIG = fileURLToPath(new URL('./fixtures/tsconfig.cli.json', import.meta.url));
const TOKEN = 'process-test-token';

let cliJs: string;
let buildDir: string;
const children = new Set<ChildProcess>();
/** What the follower processes printed, shown when an assertion fails. */
const output: string[] = [];

beforeAll(() => {
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  buildDir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'cli-'));
  const built = spawnSync(process.execPath, [TSC, '-p', TSCONFIG, '--outDir', buildDir], { encoding: 'utf8' });
  cliJs = path.join(buildDir, 'streams/cli/main.js');
  if (!fs.existsSync(cliJs)) throw new Error(`compiling the CLI failed (exit ${built.status}):\n${built.stdout}${built.stderr}`);
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(buildDir, { recursive: true, force: true });
});

function startFollowerProcess(dir: string, port: number): ChildProcess {
  const child = spawn(process.execPath, [cliJs, 'follower', '--dir', dir, '--connect', `127.0.0.1:${port}`, '--peer', 'p1', '--wait-for-leader'], {
    env: { ...process.env, TIDALDB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

async function untilOrShow(predicate: () => boolean, what: string): Promise<void> {
  try {
    await until(predicate, what, { timeoutMs: 15_000, pollMs: 5 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nfollower output:\n${output.join('')}`);
  }
}

async function lead(dir: string, port: number) {
  const db = await TidalDb.open({ dir, halfLifeMs: HALF_LIVES });
  const listener: TcpLeaderTransport = await TcpTransport.listen({ port, token: TOKEN, db, heartbeatMs: 100 });
  const shipping: LeaderHandle = startLeader({ db, transport: listener, followers: ['p1'], shipIntervalMs: 20 });
  let acked = 0;
  shipping.applied$.subscribe((a) => (acked = Math.max(acked, a.appliedSeq)));
  return { db, listener, shipping, acked: () => acked };
}

describe('A CLI follower process killed with SIGKILL and restarted, and a leader restarted, mid-stream: state identical, nothing double counted', () => {
  it('converges to exactly the leader\'s state', async () => {
    const leaderDir = tempDir('proc-leader');
    const followerDir = tempDir('proc-follower');
    let leader = await lead(leaderDir, 0);
    const port = leader.listener.port;
    let follower = startFollowerProcess(followerDir, port);
    await writeItems(leader.db, 50);
    const firstWrites = writeSignals(leader.db, 3_000);
    await untilOrShow(() => leader.acked() >= 300, 'the follower process to apply its first segments');
    follower.kill('SIGKILL'); // mid-stream: writes and shipping go on, no stop(), no close()
    await exited(follower);
    let written = await firstWrites;
    follower = startFollowerProcess(followerDir, port);
    await untilOrShow(() => leader.acked() >= written, 'the restarted follower to catch up');

    // the leader restarts mid-stream: with writes not yet shipped, shipping stops, the listener goes, the db is abandoned
    // unclosed; the restarted leader opens what its disk held then (a crash copy, the dead writer's LOCK included)
    written = await writeSignals(leader.db, 1_000, 100, 3_000);
    leader.shipping.stop();
    await leader.listener.close();
    const abandoned = leader.db;
    leader = await lead(copyDir(leaderDir, 'proc-leader-crashed'), port);
    expect(leader.db.lastSeq).toBe(written);
    written = await writeSignals(leader.db, 1_500, 100, 4_000);
    await untilOrShow(() => leader.acked() >= written, 'the follower to follow the restarted leader');

    follower.kill('SIGTERM');
    expect(await exited(follower)).toBe(0);
    leader.shipping.stop();
    await leader.listener.close();
    const replica = await FollowerDb.open({ dir: followerDir });
    expect(replica.lastSeq).toBe(leader.db.lastSeq);
    expect(snapshotOf(replica)).toEqual(snapshotOf(leader.db));
    await replica.close();
    await leader.db.close();
    await abandoned.close();
  }, 60_000);
});
