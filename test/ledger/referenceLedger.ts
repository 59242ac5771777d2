/**
 * A reference model of the signal ledger, as simple as it can be: per type
 * a Map from item id to a { value, atMs } object, updated with the decay
 * arithmetic written out here (the same operations in the same order as
 * src/ledger/decay.ts, so scores must agree bit for bit), and best() as a
 * full sort of every item's score, ties by id ascending.
 */

interface Mass {
  value: number;
  atMs: number;
}

/** x * 2^exponent, in two halves past 2^±1000 (as the ledger does). */
function scale(x: number, exponent: number): number {
  if (x === 0) return 0;
  if (Math.abs(exponent) <= 1000) return x * Math.pow(2, exponent);
  const half = Math.pow(2, exponent / 2);
  return x * half * half;
}

/** Adds `weight` at `atMs` to `mass` in place: decays the older of the two to the newer's time. */
export function referenceAdd(mass: Mass, weight: number, atMs: number, halfLifeMs: number): void {
  if (atMs >= mass.atMs) {
    mass.value = scale(mass.value, -(atMs - mass.atMs) / halfLifeMs) + weight;
    mass.atMs = atMs;
  } else {
    mass.value += scale(weight, -(mass.atMs - atMs) / halfLifeMs);
  }
}

function referenceScore(mass: Mass, tMs: number, halfLifeMs: number): number {
  const score = scale(mass.value, -(tMs - mass.atMs) / halfLifeMs);
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, score));
}

export class ReferenceLedger {
  private readonly types = new Map<string, Map<string, Mass>>();

  constructor(private readonly halfLifeOf: (type: string) => number) {}

  add(itemId: string, type: string, weight: number, atMs: number): void {
    let masses = this.types.get(type);
    if (!masses) this.types.set(type, (masses = new Map()));
    const mass = masses.get(itemId);
    if (mass) referenceAdd(mass, weight, atMs, this.halfLifeOf(type));
    else masses.set(itemId, { value: weight, atMs });
  }

  score(itemId: string, type: string, tMs: number): number {
    const mass = this.types.get(type)?.get(itemId);
    return mass ? referenceScore(mass, tMs, this.halfLifeOf(type)) : 0;
  }

  best(type: string, limit: number, tMs: number): Array<{ id: string; score: number }> {
    const masses = this.types.get(type) ?? new Map<string, Mass>();
    return [...masses.keys()]
      .map((id) => ({ id, score: this.score(id, type, tMs) }))
      .sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit);
  }

  /** [type, { halfLifeMs, masses: [id, value, atMs][] }] pairs, each type's items in the order it first saw them. */
  snapshot(): Array<readonly [string, { halfLifeMs: number; masses: Array<readonly [string, number, number]> }]> {
    return [...this.types].map(([type, masses]) => [type, {
      halfLifeMs: this.halfLifeOf(type),
      masses: [...masses].map(([id, m]) => [id, m.value, m.atMs] as const),
    }] as const);
  }

  get signalTypes(): string[] {
    return [...this.types.keys()];
  }
}
