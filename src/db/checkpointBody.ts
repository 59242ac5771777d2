/**
 * A checkpoint body's content, checked value by value before any state is
 * built from it (checkpoint.ts has the framing and the checksum). Checked as
 * a write would be: a forged checkpoint whose checksum was recomputed still
 * cannot install NaN masses, lone surrogates or half-lives that disagree.
 */
import { atProblem, itemIdProblem, nameProblem, signalTypeProblem, textProblem, describe } from '../eventContent.js';
import { checkItemFields } from '../items/itemFields.js';
import { halfLifeOf, halfLivesFromEntries, type HalfLives } from '../ledger/halfLives.js';
import type { TypeLedgerSnapshot } from '../ledger/typeLedger.js';
import { MAX_REGION_BYTES } from '../limits.js';
import { decodeEpochHistory } from '../wal/segmentHeader.js';
import { DbState } from './dbState.js';

type Fail = (problem: string) => Error;

/** A fresh state (appliedSeq 0) holding what a version 3 body describes; throws `fail(problem)` on anything malformed. */
export function stateFromBody(raw: unknown, fail: Fail): DbState {
  const body = record(raw, 'body', fail);
  orFail(nameProblem('region', body.region, MAX_REGION_BYTES), fail);
  const halfLives = halfLivesOf(body.halfLives, fail);
  const epoch = body.epoch ?? 0;
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) throw fail(`epoch must be a non-negative integer, got ${describe(epoch)}`);
  const epochStartSeq = body.epochStartSeq ?? 0;
  if (!Number.isSafeInteger(epochStartSeq) || (epochStartSeq as number) < 0) throw fail(`epochStartSeq must be an integer >= 0, got ${describe(epochStartSeq)}`);
  const epochHistory = decodeEpochHistory(body.epochHistory ?? [], fail);
  const nextSegmentId = body.nextSegmentId ?? 1;
  if (!Number.isSafeInteger(nextSegmentId) || (nextSegmentId as number) < 1) throw fail(`nextSegmentId must be an integer >= 1, got ${describe(nextSegmentId)}`);
  const ledger = ledgerOf(body.ledger, halfLives, fail);
  const items = itemsOf(body.items, fail);
  const state = new DbState(halfLives);
  state.epoch = (epoch as number) + 0; // + 0: -0 reads as 0
  state.nextSegmentId = nextSegmentId as number;
  state.epochStartSeq = (epochStartSeq as number) + 0;
  state.epochHistory = epochHistory;
  state.ledger.restore(ledger);
  for (const [id, text, fields] of items) state.items.put({ id, text, fields });
  return state;
}

/** A version 2 body in the version 3 shape: maps keyed by type become pairs, masses relative to refMs become [id, value, atMs]. */
export function bodyFromVersion2(raw: unknown, fail: Fail): unknown {
  const body = record(raw, 'body', fail);
  const h = record(body.halfLives, 'halfLives', fail);
  const ledger = Object.entries(record(body.ledger, 'ledger', fail)).map(([type, t]) => {
    const { halfLifeMs, refMs, masses } = record(t, `ledger[${describe(type)}]`, fail);
    return [type, halfLifeMs, array(masses, 'masses', fail).map((m) => [...array(m, 'mass', fail), refMs])];
  });
  return {
    region: body.region,
    halfLives: { defaultMs: h.defaultMs, byType: Object.entries(record(h.byType, 'halfLives.byType', fail)) },
    ledger,
    items: body.items,
    epoch: body.epoch,
  };
}

function halfLivesOf(raw: unknown, fail: Fail): HalfLives {
  const h = record(raw, 'halfLives', fail);
  const pairs = array(h.byType, 'halfLives.byType', fail).map((p) => tuple(p, 2, 'halfLives.byType entry', fail));
  return halfLivesFromEntries(pairs as Array<[unknown, unknown]>, fail, h.defaultMs);
}

function ledgerOf(raw: unknown, halfLives: HalfLives, fail: Fail): Array<[string, TypeLedgerSnapshot]> {
  const types = new Set<string>();
  return array(raw, 'ledger', fail).map((entry) => {
    const [type, halfLifeMs, masses] = tuple(entry, 3, 'ledger entry', fail);
    orFail(signalTypeProblem('ledger type', type), fail);
    if (types.has(type as string)) throw fail(`ledger type ${describe(type)} appears twice`);
    types.add(type as string);
    if (halfLifeMs !== halfLifeOf(halfLives, type as string)) {
      throw fail(`ledger type ${describe(type)} has half-life ${describe(halfLifeMs)}, the recorded half-lives say ${halfLifeOf(halfLives, type as string)}`);
    }
    return [type as string, { halfLifeMs: halfLifeMs as number, masses: massesOf(masses, type as string, fail) }];
  });
}

function massesOf(raw: unknown, type: string, fail: Fail): Array<readonly [string, number, number]> {
  const ids = new Set<string>();
  return array(raw, `ledger[${describe(type)}] masses`, fail).map((m) => {
    const [id, value, atMs] = tuple(m, 3, 'mass', fail);
    orFail(itemIdProblem('mass item id', id) ?? atProblem('mass time', atMs), fail);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(`mass of ${describe(id)} (${type}) is ${describe(value)}, not a finite number`);
    if (ids.has(id as string)) throw fail(`item ${describe(id)} has two masses of ${describe(type)}`);
    ids.add(id as string);
    return [id as string, value, atMs as number] as const;
  });
}

function itemsOf(raw: unknown, fail: Fail): Array<[string, string | null, Readonly<Record<string, unknown>> | null]> {
  const ids = new Set<string>();
  return array(raw, 'items', fail).map((entry) => {
    const [id, text, rawFields] = tuple(entry, 3, 'item', fail);
    orFail(itemIdProblem('item id', id) ?? textProblem(text ?? null), fail);
    if (ids.has(id as string)) throw fail(`item ${describe(id)} appears twice`);
    ids.add(id as string);
    if (rawFields === null || rawFields === undefined) return [id as string, (text ?? null) as string | null, null];
    const fields = checkItemFields(rawFields);
    if (!fields.ok) throw fail(`item ${describe(id)}: ${fields.problem}`);
    return [id as string, (text ?? null) as string | null, fields.fields];
  });
}

function record(v: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(`${what} must be a map`);
  return v as Record<string, unknown>;
}

function array(v: unknown, what: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) throw fail(`${what} must be an array`);
  return v;
}

function tuple(v: unknown, length: number, what: string, fail: Fail): unknown[] {
  if (!Array.isArray(v) || v.length !== length) throw fail(`${what} must be an array of ${length}`);
  return v;
}

function orFail(problem: string | null, fail: Fail): void {
  if (problem !== null) throw fail(problem);
}
