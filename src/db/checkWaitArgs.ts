import { describe } from '../eventContent.js';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { TidalError } from '../errors.js';

/** `waitFor`'s arguments, checked: a seqno, and options with a timeout in ms (there is no wait-forever). */
export function checkWaitArgs(seq: unknown, options: unknown): { timeoutMs: number; scheduler: SchedulerLike } {
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new TidalError('InvalidInput', `waitFor: seq must be a non-negative integer, got ${describe(seq)}`);
  if (typeof options !== 'object' || options === null) {
    throw new TidalError('InvalidInput', 'waitFor: options { timeoutMs } are required: there is no wait-forever');
  }
  const { timeoutMs, scheduler } = options as { timeoutMs?: unknown; scheduler?: unknown };
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs === Infinity) {
    throw new TidalError('InvalidInput', `waitFor: timeoutMs must be a finite number of ms >= 0, got ${describe(timeoutMs)}`);
  }
  if (scheduler !== undefined && (typeof scheduler !== 'object' || scheduler === null || typeof (scheduler as SchedulerLike).schedule !== 'function')) {
    throw new TidalError('InvalidInput', 'waitFor: scheduler must be an RxJS SchedulerLike');
  }
  return { timeoutMs, scheduler: (scheduler as SchedulerLike | undefined) ?? asyncScheduler };
}
