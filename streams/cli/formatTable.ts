/**
 * Text formatting shared by the subcommands: aligned columns, thousands
 * separators and times, the same on every locale.
 */
import { formatCount } from '../internal/formatCount.js';

/**
 * Lays out rows as columns two spaces apart; `right` lists the columns
 * aligned right (numbers). Trailing spaces are trimmed.
 *
 * @example
 * formatTable([['FILE', 'BYTES'], ['a.wal', '1,024']], [1]);
 * // ['FILE   BYTES', 'a.wal  1,024']
 */
export function formatTable(rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** 10000 → "10,000". */
export const count = formatCount;

/** ms since the epoch as ISO 8601 UTC; a value that is no valid time is printed as the number. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** "1..500", or "-" when unknown, or "(none)" for a segment that holds no event. */
export function seqRange(first: number | null, last: number | null): string {
  if (first === null) return '-';
  if (last === null) return `${first}..?`;
  return last < first ? '(none)' : `${first}..${last}`;
}

/** 1 → "1 event", 1200 → "1,200 events". */
export function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}
