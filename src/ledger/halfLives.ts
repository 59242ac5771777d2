import { TidalError } from '../errors.js';
import { signalTypeProblem, describe } from '../eventContent.js';
import { DEFAULT_HALF_LIFE_MS, MIN_HALF_LIFE_MS } from '../limits.js';

/**
 * Half-lives per signal type, in ms. Recorded with the data (every segment
 * header and checkpoint), so every node that replays the log computes the
 * same scores. Types are Map keys, never object keys: any type name,
 * 'constructor' and '__proto__' included, is just data.
 */
export interface HalfLives {
  /** Half-life of any type not listed in `byType`. */
  readonly defaultMs: number;
  readonly byType: ReadonlyMap<string, number>;
}

/** The option form: one half-life for all types, or one per type (key '*' sets the default). */
export type HalfLifeOption = number | Readonly<Record<string, number>>;

/** Turns the `halfLifeMs` option into {@link HalfLives}, refusing non-finite values or values below 1 ms. */
export function parseHalfLives(option: HalfLifeOption | undefined): HalfLives {
  if (option === undefined) return defaultHalfLives();
  if (typeof option === 'number') return { defaultMs: checkHalfLife('halfLifeMs', option), byType: new Map() };
  if (typeof option !== 'object' || option === null) {
    throw new TidalError('InvalidInput', `halfLifeMs must be a number or a record of numbers, got ${typeof option}`);
  }
  return halfLivesFromEntries(Object.entries(option), (problem) => new TidalError('InvalidInput', problem));
}

/** One day for every type. */
export function defaultHalfLives(): HalfLives {
  return { defaultMs: DEFAULT_HALF_LIFE_MS, byType: new Map() };
}

/**
 * Half-lives from [type, ms] pairs ('*' sets the default), checked: every
 * name a valid signal type, every half-life finite and at least 1 ms.
 * `fail` makes the error (InvalidInput for options, Corruption for bytes).
 */
export function halfLivesFromEntries(entries: Iterable<readonly [unknown, unknown]>, fail: (problem: string) => Error, defaultMs: unknown = DEFAULT_HALF_LIFE_MS): HalfLives {
  const byType = new Map<string, number>();
  let fallback = halfLifeOrFail('halfLifeMs["*"]', defaultMs, fail);
  for (const [type, ms] of entries) {
    const field = `halfLifeMs[${describe(type)}]`;
    const typeProblem = signalTypeProblem('a half-life type', type);
    if (typeProblem !== null) throw fail(typeProblem);
    const checked = halfLifeOrFail(field, ms, fail);
    if (type === '*') fallback = checked;
    else byType.set(type as string, checked);
  }
  return { defaultMs: fallback, byType };
}

function checkHalfLife(field: string, ms: unknown): number {
  return halfLifeOrFail(field, ms, (problem) => new TidalError('InvalidInput', problem));
}

function halfLifeOrFail(field: string, ms: unknown, fail: (problem: string) => Error): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_HALF_LIFE_MS) {
    throw fail(`${field} must be a finite number of ms, at least ${MIN_HALF_LIFE_MS}, got ${describe(ms)}`);
  }
  return ms;
}

/** The half-life of `type`, in ms. */
export function halfLifeOf(halfLives: HalfLives, type: string): number {
  return halfLives.byType.get(type) ?? halfLives.defaultMs;
}

/** True when both give every type the same half-life. */
export function sameHalfLives(a: HalfLives, b: HalfLives): boolean {
  if (a.defaultMs !== b.defaultMs) return false;
  const types = new Set([...a.byType.keys(), ...b.byType.keys()]);
  for (const t of types) if (halfLifeOf(a, t) !== halfLifeOf(b, t)) return false;
  return true;
}

/** A one-line description, for error messages. */
export function describeHalfLives(h: HalfLives): string {
  const parts = [...h.byType].map(([t, ms]) => `${t}=${ms}`);
  return `default=${h.defaultMs}${parts.length ? ', ' + parts.join(', ') : ''} (ms)`;
}
