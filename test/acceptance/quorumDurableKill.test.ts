/**
 * Issue 11, quorum acks: nothing acknowledged at level 'durable' is lost
 * when a node is SIGKILLed right after the ack. The follower is a real
 * `tidaldb follower` process (its own fsync, its own directory); the leader
 * waits for it at level 'durable' after each batch, and the follower is
 * SIGKILLed the moment the ack resolves: no shutdown, no flush of its own.
 * Its directory, reopened, holds every seqno that was acked. (The leader's
 * death loses nothing more: what was acked is on the follower's disk, which
 * is what a promotion would serve.)
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { startLeader, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { compileWithTsc, privateBuildDir } from '../wal/fixtures/compileWithTsc.js';

const TSCONFIG = fileURLToPath(new URL('../cli/fixtures/tsconfig.cli.json', import.meta.url));
const TOKEN = 'quorum-durable-kill-token';
let buildDir = '';
let cliJs = '';
const children = new Set<ChildProcessWithoutNullStreams>();

beforeAll(() => {
  buildDir = privateBuildDir('quorum-kill');
  cliJs = compileWithTsc(TSCONFIG, buildDir, 'streams/cli/main.js');
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(buildDir, { recursive: true, force: true });
});

describe('quorum acks survive a SIGKILL', () => {
  it('every seqno acked at level durable is in the follower\'s directory after it is SIGKILLed right after the ack', async () => {
    const dir = tempDir('quorum-kill');
    const db = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db });
    const leader = startLeader({ db, transport: listener, followers: ['f1'], shipIntervalMs: 60_000 });
    const child = spawn(process.execPath, [cliJs, 'follower', '--dir', dir, '--connect', `127.0.0.1:${listener.port}`, '--peer', 'f1'],
      { env: { ...process.env, TIDALDB_TOKEN: TOKEN } });
    children.add(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      let acked = 0;
      for (let batch = 0; batch < 20; batch++) {
        let seq = 0;
        for (let i = 0; i < 50; i++) seq = await db.signal({ itemId: `i${i % 7}`, type: 'view', at: batch * 100 + i });
        await leader.waitForFollowers(seq, { count: 1, level: 'durable', timeoutMs: 20_000 })
          .catch((e: unknown) => { throw new Error(`${String(e)}\nfollower output:\n${output}`); });
        acked = seq;
      }
      child.kill('SIGKILL'); // at once after the last ack: no graceful shutdown
      expect(await exited).toBe('SIGKILL');
      const replica = await FollowerDb.open({ dir });
      try {
        expect(replica.lastSeq).toBeGreaterThanOrEqual(acked);
        expect(acked).toBe(1_000);
      } finally {
        await replica.close();
      }
    } finally {
      child.kill('SIGKILL');
      await leader.stop();
      await listener.close();
      await db.close();
    }
  }, 120_000);
});
