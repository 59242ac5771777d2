/**
 * SweepSummary: the figures of many runs, added up as they finish; what
 * `npm run sim` prints and what simulation.test.ts collects from its child
 * processes (one JSON line each) and merges.
 */
import { failureReport, type RunArgs } from './failureReport.js';
import type { SimResult } from './simulation.js';

/** Issue 7: every run has at least this many faults. */
export const MIN_FAULTS_PER_RUN = 5;

export interface SweepSummary {
  runs: number;
  failing: number;
  /** One report per failing seed: its violations and the command that replays it. */
  failures: string[];
  /** Seeds whose run had fewer than MIN_FAULTS_PER_RUN faults. */
  fewFaultSeeds: number[];
  steps: number;
  faults: number;
  minFaults: number;
  macroFaults: number;
  writes: number;
  acked: number;
  crashes: number;
  promotions: number;
  rebuilds: number;
  corruptDeliveries: number;
  redeliveries: number;
  fencedDeliveries: number;
  stateChecks: number;
  virtualMs: number;
  /** The trace hash of each seed asked for (determinism across processes). */
  hashes: Record<string, string>;
  wallMs: number;
  /** CPU time of the process that ran the sweep (user + system): the work, whatever else the machine ran. */
  cpuMs: number;
}

export function emptySummary(): SweepSummary {
  return {
    runs: 0, failing: 0, failures: [], fewFaultSeeds: [], steps: 0, faults: 0, minFaults: Infinity, macroFaults: 0,
    writes: 0, acked: 0, crashes: 0, promotions: 0, rebuilds: 0, corruptDeliveries: 0, redeliveries: 0, fencedDeliveries: 0,
    stateChecks: 0, virtualMs: 0, hashes: {}, wallMs: 0, cpuMs: 0,
  };
}

export function addRun(s: SweepSummary, r: SimResult, args: RunArgs = {}): void {
  s.runs++;
  if (r.violations.length > 0) {
    s.failing++;
    s.failures.push(failureReport(r, args));
  }
  if (r.faults < MIN_FAULTS_PER_RUN) s.fewFaultSeeds.push(r.seed);
  s.steps += r.stepsRun;
  s.faults += r.faults;
  s.minFaults = Math.min(s.minFaults, r.faults);
  s.macroFaults += r.macroFaults;
  s.writes += r.cluster.writes;
  s.acked += r.cluster.acked;
  s.crashes += r.cluster.crashes;
  s.promotions += r.cluster.promotions;
  s.rebuilds += r.cluster.rebuilds;
  s.corruptDeliveries += r.checks.corruptDeliveries;
  s.redeliveries += r.checks.redeliveries;
  s.fencedDeliveries += r.checks.fencedDeliveries;
  s.stateChecks += r.checks.stateChecks;
  s.virtualMs += r.virtualMs;
}

export function mergeSummaries(parts: readonly SweepSummary[]): SweepSummary {
  const total = emptySummary();
  for (const p of parts) {
    for (const key of Object.keys(total) as (keyof SweepSummary)[]) {
      const a = total[key];
      const b = p[key];
      if (typeof a === 'number' && typeof b === 'number') (total[key] as number) = key === 'minFaults' ? Math.min(a, b) : key === 'wallMs' || key === 'cpuMs' ? Math.max(a, b) : a + b;
    }
    total.failures.push(...p.failures);
    total.fewFaultSeeds.push(...p.fewFaultSeeds);
    Object.assign(total.hashes, p.hashes);
  }
  return total;
}

/** Three lines of figures. */
export function describeSummary(s: SweepSummary): string {
  const per = (n: number, digits = 0) => (n / Math.max(1, s.runs)).toFixed(digits);
  return [
    `${s.runs} seeds in ${(s.wallMs / 1000).toFixed(1)} s (${(s.cpuMs / 1000).toFixed(1)} s of CPU): ${s.failing} failing.`,
    `  per run: ${per(s.steps)} steps, ${per(s.virtualMs / 1000, 1)} virtual s, ${per(s.faults, 1)} faults (min ${s.minFaults}; ${per(s.macroFaults, 1)} crashes, disk faults, `
      + `partitions and promotions, the rest on links), ${per(s.writes)} writes (${per(s.acked)} acknowledged), ${per(s.stateChecks)} state checks,`,
    `  ${per(s.crashes, 1)} crashes, ${per(s.promotions, 2)} promotions, ${per(s.rebuilds, 2)} rebuilds, ${per(s.corruptDeliveries, 1)} corrupt, `
      + `${per(s.redeliveries, 1)} redelivered and ${per(s.fencedDeliveries, 2)} fenced shipments; ${per(s.wallMs, 1)} ms wall.`,
  ].join('\n');
}
