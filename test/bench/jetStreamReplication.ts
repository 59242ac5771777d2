/**
 * Replication through NATS JetStream, next to the TCP transport and Redis,
 * all measured here in the same run (`BENCH_ONLY=jetstream`): issue 11's
 * benchmarks. A nats-server with JetStream (jetStreamServer.ts: a free
 * loopback port, a temporary file store); the leader an in-memory TidalDb in
 * this process; the followers processes with persisted replicas (fsync
 * before each ack): jetStreamFollowerChild.ts over JetStream,
 * `tidaldb follower` over TCP (jetStreamBenchCluster.ts, benchCluster.ts).
 * The runs are clusterRuns.ts's (the same code for both transports) and
 * redisReplicaRuns.ts's (the same shapes for Redis, no persistence).
 *
 *   throughput, 1 and 4 followers: issue 9's workload, N = 1,000,000
 *     signals (scaled; N ÷ 4 to four followers, to keep the bench's time
 *     down) over 5,000 items in awaited `signalBatch`es of 1,000, ÷ (first
 *     write → every follower acked the last seqno). Redis: redis-benchmark's
 *     Redis-native shape, the same N, to 1 and to 4 replicas.
 *   lag p99 at a steady 100k/s (on the 1-follower cluster, after the
 *     throughput run): write → the leader hears the follower's ack, every
 *     100th seqno, for 3 s × scale. Redis: redisSteadyLag.ts (write → the
 *     replica's offset, polled every 1 ms).
 *   quorum wait (on the same cluster, after the lag run):
 *     `waitForFollowers(seq, { count: 1, level: 'durable' })` alone, one
 *     after another, 300 × scale samples after 50 dropped, p50 and p99.
 *     Redis: `WAIT 1` after each ZINCRBY (the replica holds it in memory:
 *     Redis's `received`, not our `durable`).
 *
 * Each row is the median of 3 runs (BENCH_REPEAT); a repeat runs JetStream,
 * TCP and Redis back to back, so the machine's other load falls on all
 * three alike. Without nats-server the bench reports one row saying so,
 * without redis-server its Redis rows say so; nothing fails for either.
 *
 * The TCP and Redis rows are measured here when BENCH_ONLY names the
 * benchmarks to run (`BENCH_ONLY=jetstream`), which triples the bench's
 * time (40 to 70 s a repeat on a shared 2-core machine). The full
 * `npm run bench` measures JetStream alone here (12 to 23 s a repeat) and
 * says so in a row: its tcp, redis and quorum benchmarks measure the TCP and
 * Redis figures of the same run (tcp e2e to 1 and 4 processes, tcp lag at
 * 100k/s write → ack, Redis-native, Redis lag at 100k/s, the quorum wait
 * and Redis WAIT 1), in shapes close to these but not the same.
 */
import { BENCH_ONLY, repeats, scaled } from './benchConfig.js';
import { tcpBenchCluster } from './benchCluster.js';
import { clusterRun, type ThroughputRun } from './clusterRuns.js';
import { BENCH_STREAM_BYTES, jetStreamBenchCluster } from './jetStreamBenchCluster.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from './jetStreamServer.js';
import { onPath } from './redisServer.js';
import { redisFanOutRun, redisSteadyLagRun, redisWaitRun } from './redisReplicaRuns.js';
import { type BenchResult, median } from './stats.js';
import { ISSUE9_SIGNALS } from './workload.js';

const QUORUM_WARMUP = 50;

/** One repeat's figures of one system; NaN where it measured nothing. */
interface SystemFigures {
  readonly one: number;
  readonly four: number;
  readonly lagP99Ms: number;
  readonly lagP50Ms: number;
  readonly quorumP50Ms: number;
  readonly quorumP99Ms: number;
  readonly details: Record<string, unknown>;
}

type System = 'jetstream' | 'tcp' | 'redis';

export async function jetStreamReplication(): Promise<BenchResult[]> {
  if (!NATS_SERVER_AVAILABLE) return [{ benchmark: `jetstream: not run (${NATS_SKIP_REASON})`, measured: NaN, unit: '', goal: null, note: 'skipped' }];
  const n = scaled(ISSUE9_SIGNALS, 1000);
  const lagMs = scaled(3000, 500);
  const nFour = scaled(ISSUE9_SIGNALS / 4, 1000);
  const samples = scaled(300, 50);
  const compare = BENCH_ONLY !== null;
  const redis = compare && await onPath('redis-server') && await onPath('redis-benchmark');
  const runs = new Map<System, SystemFigures[]>([['jetstream', []], ['tcp', []], ['redis', []]]);
  const nats = await NatsServer.start({ maxFileStoreBytes: 16 * BENCH_STREAM_BYTES });
  try {
    const start = { jetstream: jetStreamBenchCluster(nats), tcp: tcpBenchCluster };
    for (let r = 0; r < repeats(3); r++) {
      for (const system of compare ? ['jetstream', 'tcp'] as const : ['jetstream'] as const) {
        const t0 = performance.now();
        const one = await clusterRun(start[system], { n, followers: 1, lagMs, quorumSamples: samples, quorumWarmup: QUORUM_WARMUP });
        const four = await clusterRun(start[system], { n: nFour, followers: 4, lagMs: 0, quorumSamples: 0, quorumWarmup: 0 });
        runs.get(system)!.push(tidaldbFigures(one, four));
        progress(system, r, runs.get(system)!.at(-1)!, t0);
      }
      if (redis) {
        const t0 = performance.now();
        runs.get('redis')!.push(await redisFigures(n, nFour, lagMs, samples));
        progress('redis', r, runs.get('redis')!.at(-1)!, t0);
      }
    }
  } finally {
    await nats.close();
  }
  const measured = rows(runs, { signals: n, signalsToFour: nFour, lagMs, quorumSamples: samples, redis });
  return compare ? measured : [...measured.filter((row) => row.key?.startsWith('jetstream.jetstream.')), {
    benchmark: '  tcp and redis: see the tcp, redis and quorum rows of this run (BENCH_ONLY=jetstream measures them beside these)',
    measured: NaN, unit: '', goal: null, note: 'not measured here',
  }];
}

function tidaldbFigures(one: ThroughputRun, four: ThroughputRun): SystemFigures {
  return {
    one: one.signalsPerSec, four: four.signalsPerSec,
    lagP99Ms: one.lag?.lag.p99Ms ?? NaN, lagP50Ms: one.lag?.lag.p50Ms ?? NaN,
    quorumP50Ms: one.quorum?.durable.p50Ms ?? NaN, quorumP99Ms: one.quorum?.durable.p99Ms ?? NaN,
    details: {
      oneWriteSeconds: one.writeSeconds, fourWriteSeconds: four.writeSeconds, lagAchievedPerSec: one.lag?.achievedPerSec,
      lagWriteFailures: one.lag?.writeFailures, quorumTimeouts: one.quorum?.timeouts,
    },
  };
}

async function redisFigures(n: number, nFour: number, lagMs: number, samples: number): Promise<SystemFigures> {
  const one = await redisFanOutRun(1, n);
  const four = await redisFanOutRun(4, nFour);
  const lag = await redisSteadyLagRun(lagMs);
  const wait = await redisWaitRun(samples, QUORUM_WARMUP);
  return {
    one: one.signalsPerSec, four: four.signalsPerSec, lagP99Ms: lag.lag.p99Ms, lagP50Ms: lag.lag.p50Ms,
    quorumP50Ms: wait.wait.p50Ms, quorumP99Ms: wait.wait.p99Ms,
    details: { lagAnsweredPerSec: lag.answeredPerSec, lagWriteErrors: lag.writeErrors, waitTimeouts: wait.timeouts },
  };
}

function progress(system: System, r: number, f: SystemFigures, t0: number): void {
  process.stderr.write(`  jetstream bench, ${system} run ${r + 1} (${((performance.now() - t0) / 1000).toFixed(1)} s): `
    + `1 follower ${Math.round(f.one)}/s, 4 followers ${Math.round(f.four)}/s, `
    + `lag p99 ${f.lagP99Ms.toFixed(2)} ms, quorum wait p50 ${f.quorumP50Ms.toFixed(3)} ms p99 ${f.quorumP99Ms.toFixed(3)} ms\n`);
}

const LABEL: Readonly<Record<System, string>> = { jetstream: 'jetstream', tcp: '  tcp, same run', redis: '  redis, same run' };

/** For each figure a JetStream row and, under it, the TCP and the Redis rows, each the median of its runs. */
function rows(runs: ReadonlyMap<System, readonly SystemFigures[]>, shape: Record<string, unknown>): BenchResult[] {
  const figure = (
    what: string, unit: string, pick: (f: SystemFigures) => number, key: string, redisWhat: string,
  ): BenchResult[] => (['jetstream', 'tcp', 'redis'] as const).map((system) => {
    const values = runs.get(system)!.map(pick);
    const measured = values.length > 0 ? median(values) : NaN;
    const benchmark = `${LABEL[system]}: ${system === 'redis' ? redisWhat : what}`;
    return {
      benchmark, measured, unit, goal: null, key: `jetstream.${system}.${key}`,
      ...(values.length === 0 && { note: system === 'redis' ? 'skipped: redis-server or redis-benchmark not on PATH' : 'not measured' }),
      details: { runs: values, ...(system === 'jetstream' && key === 'oneFollower' ? shape : {}), perRun: runs.get(system)!.map((f) => f.details) },
    };
  });
  return [
    ...figure('e2e, 1 follower process, signalBatch of 1,000, 5,000 items', 'signals/s', (f) => f.one, 'oneFollower', 'redis-benchmark -P 1000 to 1 replica converged'),
    ...figure('e2e, 4 follower processes (N ÷ 4 signals)', 'signals/s', (f) => f.four, 'fourFollowers', 'redis-benchmark -P 1000 to 4 replicas converged (N ÷ 4)'),
    ...figure('lag p99 at a steady 100k/s, write → follower ack', 'ms', (f) => f.lagP99Ms, 'lag100kP99', 'replica lag p99 at 100k/s (INFO offsets)'),
    ...figure('lag p50 at a steady 100k/s', 'ms', (f) => f.lagP50Ms, 'lag100kP50', 'replica lag p50 at 100k/s'),
    ...figure('quorum wait, count 1, level durable, p50', 'ms', (f) => f.quorumP50Ms, 'quorumP50', 'WAIT 1 (replica in memory) p50'),
    ...figure('quorum wait, count 1, level durable, p99', 'ms', (f) => f.quorumP99Ms, 'quorumP99', 'WAIT 1 (replica in memory) p99'),
  ];
}
