import { TidalError } from '../errors.js';
import { DEFAULT_HALF_LIFE_MS } from '../limits.js';

/**
 * Half-lives per signal type, in ms. Recorded with the data (every segment
 * header and checkpoint), so every node that replays the log computes the
 * same scores.
 */
export interface HalfLives {
  /** Half-life of any type not listed in `byType`. */
  readonly defaultMs: number;
  readonly byType: Readonly<Record<string, number>>;
}

/** The option form: one half-life for all types, or one per type (key '*' sets the default). */
export type HalfLifeOption = number | Readonly<Record<string, number>>;

/** Turns the `halfLifeMs` option into {@link HalfLives}, refusing non-positive or non-finite values. */
export function parseHalfLives(option: HalfLifeOption | undefined): HalfLives {
  if (option === undefined) return { defaultMs: DEFAULT_HALF_LIFE_MS, byType: {} };
  if (typeof option === 'number') return { defaultMs: checkHalfLife('halfLifeMs', option), byType: {} };
  if (typeof option !== 'object' || option === null) {
    throw new TidalError('InvalidInput', `halfLifeMs must be a number or a record of numbers, got ${typeof option}`);
  }
  let defaultMs = DEFAULT_HALF_LIFE_MS;
  const byType: Record<string, number> = {};
  for (const [type, ms] of Object.entries(option)) {
    const checked = checkHalfLife(`halfLifeMs[${JSON.stringify(type)}]`, ms);
    if (type === '*') defaultMs = checked;
    else byType[type] = checked;
  }
  return { defaultMs, byType };
}

function checkHalfLife(field: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new TidalError('InvalidInput', `${field} must be a positive finite number of ms, got ${String(ms)}`);
  }
  return ms;
}

/** The half-life of `type`, in ms. */
export function halfLifeOf(halfLives: HalfLives, type: string): number {
  return halfLives.byType[type] ?? halfLives.defaultMs;
}

/** True when both give every type the same half-life. */
export function sameHalfLives(a: HalfLives, b: HalfLives): boolean {
  if (a.defaultMs !== b.defaultMs) return false;
  const types = new Set([...Object.keys(a.byType), ...Object.keys(b.byType)]);
  for (const t of types) if (halfLifeOf(a, t) !== halfLifeOf(b, t)) return false;
  return true;
}

/** A one-line description, for error messages. */
export function describeHalfLives(h: HalfLives): string {
  const parts = Object.entries(h.byType).map(([t, ms]) => `${t}=${ms}`);
  return `default=${h.defaultMs}${parts.length ? ', ' + parts.join(', ') : ''} (ms)`;
}
