/** How a failing run is reported: its violations and the one line that reproduces it. */
import type { SimResult } from './simulation.js';

/** What, besides the seed, a run was given (the repro must give it too). */
export interface RunArgs {
  readonly steps?: number;
  /** Known defects whose workaround was off (--expose). */
  readonly expose?: readonly string[];
}

/** The command that replays `seed` with its trace. */
export function reproCommand(seed: number, args: RunArgs = {}): string {
  const steps = args.steps === undefined ? '' : ` --steps ${args.steps}`;
  const expose = (args.expose ?? []).map((d) => ` --expose ${d}`).join('');
  return `npm run sim -- --seed ${seed}${steps}${expose} --verbose`;
}

/** One line per violation, then the repro command. */
export function failureReport(result: SimResult, args: RunArgs = {}): string {
  const lines = result.violations.map((v) => `seed ${result.seed}: ${v.guarantee} on ${v.node} after step ${result.stepsRun}: ${v.detail}`);
  return [...lines, `  repro: ${reproCommand(result.seed, args)}`].join('\n');
}
