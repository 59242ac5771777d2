/**
 * The I/O-error sweep's workload: one leader and one follower, each on its
 * own directory behind a `FaultyStore` sharing one `FaultPlan`, driven
 * through every path that touches the disk:
 *
 *   leader:   open, writes (signals and items) in commit groups, seals by
 *             size (small `maxSegmentBytes`) and by `db.wal.seal()`, flush,
 *             checkpoints with retention (`retainSegments`, `maxRetainedBytes`),
 *             segments read back from disk to ship (`shipCacheBytes: 0`), close;
 *   follower: open, bootstrap from the leader's checkpoint (retention dropped
 *             the early segments), apply shipped segments, checkpoint,
 *             promote, writes as the new leader, seal, checkpoint, close.
 *
 * Every step runs under a timeout and its failure is recorded, not thrown:
 * the script goes on, as an application would, so what the database does
 * after a failure is exercised too. The events are the deterministic
 * workload of test/wal/fixtures/workload.ts, so any prefix of either log can
 * be rebuilt and compared.
 */
import { TidalDb } from '../../src/index.js';
import { WORKLOAD_DB_OPTIONS, writeNext } from '../wal/fixtures/workload.js';
import { type FaultPlan, FaultyStore } from './faultyStore.js';

/** A step that has not settled in this long is a hang (a healthy one takes a few ms). */
export const STEP_TIMEOUT_MS = 5_000;
/** The smallest segment the WAL allows: a few commit groups each, so writes seal by size often. */
const MAX_SEGMENT_BYTES = 1024;
/** Concurrent writes per commit group. */
const GROUP_WRITES = 8;

export interface StepFailure {
  readonly node: 'leader' | 'follower';
  readonly step: string;
  readonly error: unknown;
  /** The call threw synchronously instead of returning a rejected promise. */
  readonly synchronous: boolean;
}

export interface NodeOutcome {
  readonly dir: string;
  /** Highest seqno this node acknowledged as durable: a write, flush, checkpoint, applied segment or install that resolved. */
  ackedSeq: number;
  /** `db.lastSeq` when the script ended, or null if the database never opened. */
  liveSeq: number | null;
  /**
   * The seqno a follower was promoted at, or null: its writes after it carry
   * the workload's variant 1, so events of the old leader past it are told apart.
   */
  promotedAt: number | null;
  /** The promote resolved (its epoch's checkpoint is durable). */
  promoteAcked: boolean;
}

export interface WorkloadOutcome {
  readonly leader: NodeOutcome;
  readonly follower: NodeOutcome;
  readonly failures: StepFailure[];
  /** The step that did not settle within STEP_TIMEOUT_MS (the script stopped there), or null. */
  hung: string | null;
}

export interface WorkloadDirs {
  readonly leader: string;
  readonly follower: string;
}

class HangError extends Error {}

/** Runs the scripted workload over `plan`; never throws (except on a bug in the script itself). */
/** @param realFsync whether the stores really fdatasync (FaultyStore.open) */
export async function runScriptedWorkload(plan: FaultPlan, dirs: WorkloadDirs, realFsync = false): Promise<WorkloadOutcome> {
  const out: WorkloadOutcome = {
    leader: { dir: dirs.leader, ackedSeq: 0, liveSeq: null, promotedAt: null, promoteAcked: false },
    follower: { dir: dirs.follower, ackedSeq: 0, liveSeq: null, promotedAt: null, promoteAcked: false },
    failures: [],
    hung: null,
  };
  let leader: TidalDb | null = null;
  let follower: TidalDb | null = null;
  const acked = (node: NodeOutcome, seq: number) => void (node.ackedSeq = Math.max(node.ackedSeq, seq));

  /** Runs one step; false once the script must stop (a hang). */
  const step = async (node: 'leader' | 'follower', name: string, fn: () => Promise<unknown>): Promise<boolean> => {
    let synchronous = false;
    let promise: Promise<unknown>;
    try {
      promise = fn();
    } catch (error) {
      synchronous = true;
      promise = Promise.reject(error);
    }
    try {
      await withTimeout(promise, `${node} ${name}`);
    } catch (error) {
      if (error instanceof HangError) {
        out.hung = error.message;
        return false;
      }
      out.failures.push({ node, step: name, error, synchronous });
    }
    return true;
  };

  /** Starts one workload write; its outcome is recorded when it settles. */
  const startWrite = (db: TidalDb, node: NodeOutcome, label: 'leader' | 'follower', name: string): Promise<void> => {
    let ack: Promise<number>;
    try {
      ack = writeNext(db, node.promotedAt === null ? 0 : 1);
    } catch (error) {
      out.failures.push({ node: label, step: `${name} write`, error, synchronous: true });
      return Promise.resolve();
    }
    return ack.then((seq) => acked(node, seq), (error) => void out.failures.push({ node: label, step: `${name} write`, error, synchronous: false }));
  };
  /** One commit group of GROUP_WRITES concurrent writes. */
  const writes = (db: TidalDb, node: NodeOutcome, label: 'leader' | 'follower', name: string) => step(label, name, async () => {
    await Promise.all(Array.from({ length: GROUP_WRITES }, () => startWrite(db, node, label, name)));
  });
  const flush = (db: TidalDb, node: NodeOutcome) => {
    const seq = db.lastSeq;
    return db.flush().then(() => acked(node, seq));
  };
  const checkpoint = (db: TidalDb, node: NodeOutcome) => db.checkpoint().then((seq) => acked(node, seq));
  /** A commit group still pending when seal() is called: the seal encodes it. */
  const writesThenSeal = async (db: TidalDb, node: NodeOutcome, label: 'leader' | 'follower') => {
    const acks = Array.from({ length: GROUP_WRITES }, () => startWrite(db, node, label, 'writes before seal'));
    let sealing: Promise<unknown>;
    try {
      sealing = db.wal.seal();
    } catch (error) {
      out.failures.push({ node: label, step: 'seal behind writes', error, synchronous: true });
      sealing = Promise.resolve();
    }
    await Promise.all([sealing, ...acks]);
  };

  const leaderWal = { maxSegmentBytes: MAX_SEGMENT_BYTES, retainSegments: 1, maxRetainedBytes: 3 * MAX_SEGMENT_BYTES, shipCacheBytes: 0 };
  const openLeader = () => step('leader', 'open', async () => {
    leader = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, store: await FaultyStore.open(dirs.leader, plan, 'leader', { realFsync }), wal: leaderWal });
  });
  const onLeader = (name: string, fn: (db: TidalDb) => Promise<unknown>) => () => leader ? step('leader', name, () => fn(leader!)) : skip();
  const onFollower = (name: string, fn: (db: TidalDb) => Promise<unknown>) => () => follower ? step('follower', name, () => fn(follower!)) : skip();
  const leaderWrites = (n: number) => () => leader ? writes(leader, out.leader, 'leader', `writes ${n}`) : skip();
  // A promote that failed may have left it a follower: its writes would be refused as ReadOnly, by design.
  const followerWrites = (n: number) => () => follower && !follower.isFollower() ? writes(follower, out.follower, 'follower', `writes ${n} as leader`) : skip();
  const shipStep = (name: string) => () => leader && follower
    ? step('follower', name, () => ship(leader!, follower!, (seq) => acked(out.follower, seq)))
    : skip();

  const script: Array<() => Promise<boolean>> = [
    openLeader,
    leaderWrites(1), leaderWrites(2), leaderWrites(3),
    onLeader('seal', (db) => db.wal.seal()),
    leaderWrites(4),
    onLeader('checkpoint 1', (db) => checkpoint(db, out.leader)),
    leaderWrites(5), leaderWrites(6),
    onLeader('flush', (db) => flush(db, out.leader)),
    onLeader('writes 7 with a seal behind them', (db) => writesThenSeal(db, out.leader, 'leader')),
    onLeader('checkpoint 2', (db) => checkpoint(db, out.leader)),
    () => step('follower', 'open', async () => {
      const store = await FaultyStore.open(dirs.follower, plan, 'follower', { realFsync });
      follower = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, store, role: 'follower', wal: { maxSegmentBytes: MAX_SEGMENT_BYTES } });
    }),
    shipStep('ship 1'),
    leaderWrites(8), leaderWrites(9),
    onLeader('seal', (db) => db.wal.seal()),
    leaderWrites(10),
    shipStep('ship 2'),
    leaderWrites(11),
    onLeader('seal', (db) => db.wal.seal()),
    shipStep('ship 3'),
    onLeader('checkpoint 3', (db) => checkpoint(db, out.leader)),
    onFollower('checkpoint', (db) => checkpoint(db, out.follower)),
    onLeader('close', (db) => closeAndNote(db, out.leader)),
    () => { leader = null; return openLeader(); },
    leaderWrites(12),
    onLeader('close again', (db) => closeAndNote(db, out.leader)),
    onFollower('promote', async (db) => {
      const seq = db.lastSeq;
      out.follower.promotedAt = seq;
      await db.promote();
      out.follower.promoteAcked = true;
      acked(out.follower, seq);
    }),
    followerWrites(1), followerWrites(2), followerWrites(3),
    () => follower && !follower.isFollower() ? step('follower', 'writes 4 with a seal behind them', () => writesThenSeal(follower!, out.follower, 'follower')) : skip(),
    followerWrites(5),
    onFollower('checkpoint as leader', (db) => checkpoint(db, out.follower)),
    onFollower('close', (db) => closeAndNote(db, out.follower)),
  ];
  for (const run of script) if (!(await run())) break;
  // A database the script left open (a hang) is dropped, not closed: its state is what a crash would leave.
  return out;
}

async function skip(): Promise<boolean> {
  return true;
}

async function closeAndNote(db: TidalDb, node: NodeOutcome): Promise<void> {
  node.liveSeq = db.lastSeq;
  await db.close();
}

/** Ships the leader's sealed segments after the follower's mark, bootstrapping from a checkpoint when retention dropped what it needs. */
async function ship(leader: TidalDb, follower: TidalDb, acked: (seq: number) => void): Promise<void> {
  const oldest = leader.wal.sealedSegments[0];
  if (oldest && oldest.firstSeq > follower.lastSeq + 1) {
    const cp = await leader.latestCheckpoint();
    if (cp && (await follower.installCheckpoint(cp.bytes))) acked(follower.lastSeq);
  }
  for await (const payload of leader.wal.sealedSegmentsSince(follower.lastSeq)) {
    const result = await follower.applySegment(payload);
    acked(result.appliedSeq);
  }
}

function withTimeout<T>(promise: Promise<T>, label: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HangError(`${label} did not settle within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    promise.then(
      (v) => { clearTimeout(timer); resolve(v); },
      (e) => { clearTimeout(timer); reject(e); },
    );
  });
}
