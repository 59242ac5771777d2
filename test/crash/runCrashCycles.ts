/**
 * Crash cycles: a real writer process (test/wal/fixtures/crashWriter.ts)
 * writes the deterministic workload under fsync and is SIGKILLed at a
 * seeded random moment; between some cycles the log's unsynced tail is torn
 * (injectTornTail.ts); then the directory is reopened and checked:
 *   - reopen succeeds;
 *   - lastSeq >= the highest seqno the writer saw acknowledged, and the next
 *     writer recovers at least as much as the check found (nothing lost);
 *   - the state is exactly the workload's seqnos 1..lastSeq.
 * The check's close writes a checkpoint, so later cycles recover from a
 * checkpoint and the WAL after it, on the same directory.
 *
 * Seeded: the kill delays and torn-tail choices come from `seed`. What the
 * writer had done by a given delay is up to the machine, so a seed repeats
 * the moments, not always the exact bytes.
 */
import { isDeepStrictEqual } from 'node:util';
import { TidalDb } from '../../src/index.js';
import { seededRandom } from '../../streams/seededRandom.js';
import { runAndKill } from '../wal/fixtures/runAndKill.js';
import { snapshotOf, WORKLOAD_DB_OPTIONS } from '../wal/fixtures/workload.js';
import { type WorkloadSnapshot, WorkloadReference } from '../wal/fixtures/workloadReference.js';
import { injectTornTail, newestCheckpointSeq, type TornTailInjection, type TornTailKind } from './injectTornTail.js';

export interface CrashCycleOptions {
  readonly cycles: number;
  readonly seed: number;
  /** The directory the writer and the checks share; empty, or holding only the workload. */
  readonly dir: string;
  /** The compiled crash writer. */
  readonly childJs: string;
  /** The kill lands uniformly in [0, this) ms after the writer's first acknowledgement. */
  readonly maxKillDelayMs: number;
  /** Chance, per cycle, that the tail is torn after the kill. */
  readonly tornTailProbability: number;
  readonly onCycle?: (report: CycleReport) => void;
}

export interface CycleReport {
  readonly cycle: number;
  readonly killDelayMs: number;
  /** What the writer recovered to when it opened. */
  readonly readySeq: number;
  readonly maxAckedSeq: number;
  readonly tornTail: TornTailInjection | null;
  /** lastSeq after the check's reopen; null if it failed. */
  readonly recoveredSeq: number | null;
  /** The reopen reported (and cut off) a torn tail. */
  readonly tornTailRecovered: boolean;
  /** Acknowledged seqnos missing. */
  readonly lost: number;
  /** What went wrong in this cycle, if anything. */
  readonly problems: readonly string[];
}

export interface CrashSummary {
  readonly seed: number;
  readonly cyclesRequested: number;
  readonly cyclesRun: number;
  /** Writes acknowledged as durable by the writers, over all cycles. */
  readonly acknowledgedWrites: number;
  /** Acknowledged writes missing after a crash: must be 0. */
  readonly lostWrites: number;
  readonly tornTailsInjected: number;
  readonly tornTailsByKind: Readonly<Record<TornTailKind, number>>;
  /** Reopens that reported a torn tail (injected, or left by the kill). */
  readonly tornTailsRecovered: number;
  readonly failedReopens: number;
  /** Every problem, prefixed with its cycle: empty on a clean run. */
  readonly problems: readonly string[];
  readonly elapsedMs: number;
}

/** A second stream for the torn-tail details, so the kill delays stay the same whatever was found to tear. */
const TORN_STREAM_SALT = 0x9e37_79b9;

export async function runCrashCycles(o: CrashCycleOptions): Promise<CrashSummary> {
  const started = performance.now();
  const moments = seededRandom(o.seed);
  const tearing = seededRandom((o.seed ^ TORN_STREAM_SALT) >>> 0);
  const reference = await WorkloadReference.open();
  const byKind: Record<TornTailKind, number> = { truncate: 0, garbage: 0, 'partial batch': 0, 'torn creation': 0 };
  const s = { cyclesRun: 0, acknowledgedWrites: 0, lostWrites: 0, tornTailsInjected: 0, tornTailsRecovered: 0, failedReopens: 0 };
  const problems: string[] = [];
  let recoveredSeq = 0;
  try {
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      const killDelayMs = Math.floor(moments() * o.maxKillDelayMs);
      const tear = moments() < o.tornTailProbability;
      let run;
      try {
        run = await runAndKill(o.childJs, o.dir, killDelayMs);
      } catch (err) {
        problems.push(`cycle ${cycle}: ${(err as Error).message}`);
        break;
      }
      const report = await checkCycle(o.dir, reference, {
        cycle, killDelayMs, ...run, previousSeq: recoveredSeq,
        tornTail: tear ? injectTornTail(o.dir, Math.max(run.maxAckedSeq, newestCheckpointSeq(o.dir)), tearing) : null,
      });
      s.cyclesRun++;
      s.acknowledgedWrites += run.maxAckedSeq - run.readySeq;
      s.lostWrites += report.lost;
      if (report.tornTail) {
        s.tornTailsInjected++;
        byKind[report.tornTail.kind]++;
      }
      if (report.tornTailRecovered) s.tornTailsRecovered++;
      problems.push(...report.problems.map((p) => `cycle ${cycle}: ${p}`));
      o.onCycle?.(report);
      if (report.recoveredSeq === null) {
        s.failedReopens++;
        break; // the next writer could not open it either
      }
      recoveredSeq = report.recoveredSeq;
    }
  } finally {
    await reference.close();
  }
  return {
    seed: o.seed, cyclesRequested: o.cycles, ...s, tornTailsByKind: byKind, problems, elapsedMs: Math.round(performance.now() - started),
  };
}

interface CycleInput {
  readonly cycle: number;
  readonly killDelayMs: number;
  readonly readySeq: number;
  readonly maxAckedSeq: number;
  /** lastSeq the previous check found: the writer must have recovered at least that. */
  readonly previousSeq: number;
  readonly tornTail: TornTailInjection | null;
}

/** Reopens `dir` and checks it against the reference; closes it (writing a checkpoint). */
async function checkCycle(dir: string, reference: WorkloadReference, c: CycleInput): Promise<CycleReport> {
  const problems: string[] = [];
  let lost = 0;
  if (c.readySeq < c.previousSeq) {
    lost += c.previousSeq - c.readySeq;
    problems.push(`the writer recovered to ${c.readySeq}, but the last check found ${c.previousSeq}`);
  }
  let db: TidalDb;
  try {
    db = await TidalDb.open({ ...WORKLOAD_DB_OPTIONS, dir });
  } catch (err) {
    problems.push(`reopen failed: ${(err as Error).message}`);
    return { ...c, recoveredSeq: null, tornTailRecovered: false, lost, problems };
  }
  try {
    if (db.lastSeq < c.maxAckedSeq) {
      lost += c.maxAckedSeq - db.lastSeq;
      problems.push(`acknowledged up to ${c.maxAckedSeq}, but reopen found only ${db.lastSeq}`);
    }
    const differing = differingParts(snapshotOf(db), await reference.snapshotAt(db.lastSeq));
    if (differing.length > 0) problems.push(`state differs from the workload's seqnos 1..${db.lastSeq} in ${differing.join(', ')}`);
    return { ...c, recoveredSeq: db.lastSeq, tornTailRecovered: db.recovery.tornTail !== null, lost, problems };
  } finally {
    await db.close();
  }
}

function differingParts(actual: WorkloadSnapshot, expected: WorkloadSnapshot): string[] {
  return (Object.keys(expected) as Array<keyof WorkloadSnapshot>).filter((k) => !isDeepStrictEqual(actual[k], expected[k]));
}
