/**
 * The platform's floor under the TCP lag rows (BENCH_ONLY `tcpLag`), with
 * no tidaldb code: what the lag load (a 1,200-byte batch 500 times a
 * second) costs when each batch is made durable on a leader, then sent over
 * loopback TCP to a second process that makes it durable too and acks
 * (replicatedAckFloorChild.ts). Both sides group-commit (GroupCommitter),
 * so a batch waits only for the fdatasync in flight, as tidaldb's do.
 * A sample is one batch, from the write until its ack: the age the oldest
 * unacked write reaches, measured as the lag rows measure it.
 *
 * fsyncFloor.ts is one fdatasync alone; this is two in series on one disk
 * from two processes, plus two loopback hops and two event loops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAG_BATCHES_PER_SEC, LAG_WARMUP_MS, lagLoadMs } from './batchLagLoad.js';
import { GroupCommitter } from './groupCommitter.js';
import { pacedWrites } from './pacedWrites.js';
import { pollUntil } from './pollUntil.js';
import { type LatencySummary, summarize } from './stats.js';

const CHILD = fileURLToPath(new URL('./replicatedAckFloorChild.js', import.meta.url));
/** About the bytes of a sealed 100-signal segment (as fsyncFloor.ts). */
const WRITE_BYTES = 1200;

/** Latency from a batch's write on this side until the other process acked it durable, over `dir`. */
export async function replicatedAckFloor(dir: string): Promise<LatencySummary> {
  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fd = fs.openSync(join(dir, 'floor-leader.bin'), 'w');
  let socket: net.Socket | undefined;
  try {
    socket = await connectTo(child);
    return await measure(socket, new GroupCommitter(fd));
  } finally {
    socket?.end();
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    fs.closeSync(fd);
  }
}

async function connectTo(child: ChildProcess): Promise<net.Socket> {
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`replicatedAckFloorChild exited ${code} before listening`)));
  });
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

async function measure(socket: net.Socket, disk: GroupCommitter): Promise<LatencySummary> {
  const writtenAt: number[] = [];
  const latencies: number[] = [];
  let acked = 0;
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (; buffered.length >= 4; buffered = buffered.subarray(4)) {
      const durable = buffered.readUInt32BE(0);
      const now = performance.now();
      for (; acked < durable; acked++) latencies.push(now - writtenAt[acked]!);
    }
  });
  const steadyFrom = LAG_WARMUP_MS;
  const frame = Buffer.alloc(4 + WRITE_BYTES, 7);
  frame.writeUInt32BE(WRITE_BYTES);
  const load = await pacedWrites(LAG_BATCHES_PER_SEC, LAG_WARMUP_MS + Math.min(lagLoadMs(), 5000), (i) => {
    writtenAt[i] = performance.now();
    disk.commit(frame.subarray(4), () => socket.write(frame));
  });
  await pollUntil(() => acked === load.written, { timeoutMs: 10_000 });
  const warmupBatches = Math.floor((LAG_BATCHES_PER_SEC * steadyFrom) / 1000);
  return summarize(latencies.slice(warmupBatches));
}
