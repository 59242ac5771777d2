/**
 * Issue 11, quorum acks: nothing acknowledged at level 'durable' is lost
 * when the LEADER is SIGKILLed right after the ack (quorumDurableKill.test.ts
 * kills the follower). Every node is a real process: the leader
 * (fixtures/quorumLeaderChild.ts) writes 50 signals at a time, waits for
 * `waitForFollowers(seq, { count: 1, level: 'durable', timeoutMs })` and
 * reports each acked seqno on stdout, going straight on with the next
 * writes; the follower is a `tidaldb follower` process over loopback TCP,
 * or a JetStream follower process (test/bench/jetStreamFollowerChild.ts)
 * through a real nats-server. The test SIGKILLs the leader the moment it
 * reads an ack, and the follower right after it (neither shuts down: a
 * durable ack must not lean on the follower flushing later), then reopens
 * the follower's directory: it must hold every seqno the leader reported.
 * The JetStream variant skips, saying how to install it, without nats-server.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FollowerDb } from '../../src/index.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from '../bench/jetStreamServer.js';
import { tempDir } from '../db/tempDirs.js';
import { uniqueNames } from '../support/jetStreamCluster.js';
import { compileWithTsc, privateBuildDir } from '../wal/fixtures/compileWithTsc.js';

const TSCONFIG = fileURLToPath(new URL('./fixtures/tsconfig.quorumLeaderKill.json', import.meta.url));
const TOKEN = 'quorum-durable-leader-kill-token';
/**
 * Each test kills a fresh leader and follower once per entry, right after
 * that many acks: a kill early in the follower's life and later ones, each
 * with writes in flight. Several rounds, because the window a wrong ack
 * opens (acked before the fsync) is a millisecond wide. With the leader's
 * wait changed to level 'received', this test failed in 3 of 4 runs over
 * TCP and 1 of 4 over JetStream (2026-12-05): it can fail, but a wrong
 * level is not caught every time.
 */
const KILL_AFTER_ACKS = [3, 5, 8] as const;
/** Node start, a replica, the handshake or the consumer, and eight quorum waits: seconds even on a loaded machine. */
const RUN_TIMEOUT_MS = 60_000;

let buildDir = '';
let leaderJs = '';
let cliJs = '';
let jetStreamFollowerJs = '';
const children = new Set<ChildProcessWithoutNullStreams>();

beforeAll(() => {
  buildDir = privateBuildDir('quorum-leader-kill');
  leaderJs = compileWithTsc(TSCONFIG, buildDir, 'test/acceptance/fixtures/quorumLeaderChild.js');
  cliJs = `${buildDir}/streams/cli/main.js`;
  jetStreamFollowerJs = `${buildDir}/test/bench/jetStreamFollowerChild.js`;
  for (const js of [cliJs, jetStreamFollowerJs]) if (!fs.existsSync(js)) throw new Error(`not compiled: ${js}`);
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(buildDir, { recursive: true, force: true });
});

/** A child process whose output is kept; `exited` resolves with the signal that ended it. */
function launch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env } });
  children.add(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => {
    children.delete(child);
    resolve(signal);
  }));
  return { child, exited, output: () => output };
}

type Launched = ReturnType<typeof launch>;

/** Resolves with the first match of `pattern` in the child's output; rejects if it exits first or RUN_TIMEOUT_MS passes. */
async function awaitOutput(p: Launched, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  const start = Date.now();
  for (;;) {
    const match = pattern.exec(p.output());
    if (match) return match;
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${what}: the process exited first:\n${p.output()}`);
    if (Date.now() - start > RUN_TIMEOUT_MS) throw new Error(`${what}: not within ${RUN_TIMEOUT_MS} ms:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Waits for the leader's `afterAcks`-th ack, SIGKILLs it at once and the
 * follower after it, and checks the follower's reopened directory holds
 * every acked seqno. Returns the last acked seqno.
 */
/** One round: the follower `startFollower` launches once the leader is up, then killLeaderAfterAck; both processes are SIGKILLed whatever happens. */
async function killRound(leader: Launched, dir: string, afterAcks: number, startFollower: () => Promise<Launched>): Promise<number> {
  let follower: Launched | null = null;
  try {
    follower = await startFollower();
    return await killLeaderAfterAck(leader, follower, dir, afterAcks);
  } finally {
    follower?.child.kill('SIGKILL');
    leader.child.kill('SIGKILL');
  }
}

async function killLeaderAfterAck(leader: Launched, follower: Launched, dir: string, afterAcks: number): Promise<number> {
  const acks = new RegExp(`(?:acked (\\d+)\\n[^]*?){${afterAcks}}`);
  await awaitOutput(leader, acks, `${afterAcks} acks at level durable`).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nfollower output:\n${follower.output()}`);
  });
  leader.child.kill('SIGKILL'); // right after the ack: no shutdown, writes in flight
  follower.child.kill('SIGKILL'); // and the follower too: the acked writes must already be on its disk
  expect(await leader.exited).toBe('SIGKILL');
  expect(await follower.exited).toBe('SIGKILL');
  const acked = [...leader.output().matchAll(/acked (\d+)\n/g)].map((m) => Number(m[1]));
  expect(acked.length).toBeGreaterThanOrEqual(afterAcks);
  expect(acked).toEqual([...acked].sort((a, b) => a - b));
  const lastAcked = acked.at(-1)!;
  const replica = await FollowerDb.open({ dir });
  try {
    // The follower applies in seqno order, so a last seqno at or past an ack holds every seqno up to it.
    expect(replica.lastSeq, `the replica after a kill at ack ${afterAcks}`).toBeGreaterThanOrEqual(lastAcked);
  } finally {
    await replica.close();
  }
  return lastAcked;
}

describe('Nothing acknowledged at level durable is lost when the leader is SIGKILLed right after the ack', () => {
  it('over TCP: a `tidaldb follower` process\'s directory holds every seqno the killed leader reported acked', async () => {
    for (const afterAcks of KILL_AFTER_ACKS) {
      const dir = tempDir('quorum-leader-kill-tcp');
      const leader = launch([leaderJs], { TIDALDB_TEST_QUORUM_LEADER: JSON.stringify({ transport: 'tcp', token: TOKEN }) });
      const acked = await killRound(leader, dir, afterAcks, async () => {
        const port = (await awaitOutput(leader, /listening (\d+)\n/, 'the leader listening'))[1]!;
        return launch([cliJs, 'follower', '--dir', dir, '--connect', `127.0.0.1:${port}`, '--peer', 'f1'], { TIDALDB_TOKEN: TOKEN });
      });
      expect(acked).toBeGreaterThanOrEqual(afterAcks * 50);
    }
  }, 180_000);

  if (!NATS_SERVER_AVAILABLE) {
    it.skip(`over JetStream: ${NATS_SKIP_REASON}`, () => {});
  } else {
    it('over JetStream: the follower process\'s directory holds every seqno the killed leader reported acked', async () => {
      const nats = await NatsServer.start();
      try {
        for (const afterAcks of KILL_AFTER_ACKS) {
          const dir = tempDir('quorum-leader-kill-jetstream');
          const names = uniqueNames(); // a fresh stream: the follower starts empty
          const leader = launch([leaderJs], { TIDALDB_TEST_QUORUM_LEADER: JSON.stringify({ transport: 'jetstream', servers: nats.url, ...names }) });
          const acked = await killRound(leader, dir, afterAcks, async () => {
            await awaitOutput(leader, /leading\n/, 'the leader leading');
            return launch([jetStreamFollowerJs], { TIDALDB_BENCH_JETSTREAM: JSON.stringify({ servers: nats.url, dir, peer: 'f1', ...names }) });
          });
          expect(acked).toBeGreaterThanOrEqual(afterAcks * 50);
        }
      } finally {
        await nats.close();
      }
    }, 180_000);
  }
});
