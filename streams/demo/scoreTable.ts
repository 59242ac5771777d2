import type { Scored } from '../../src/index.js';

/** One column of a {@link scoreTable}: a node's name and its ranked results. */
export interface ScoreColumn {
  readonly title: string;
  readonly rows: readonly Scored[];
}

/** Decimals a score is printed with: enough to see that replicas agree to the last digit that matters. */
export const SCORE_DECIMALS = 6;

/**
 * Lays ranked results of several nodes side by side, one row a rank, each
 * cell `id score` with the score to {@link SCORE_DECIMALS} decimals. A row
 * where some column differs from the first column (the leader) is marked
 * `<- differs`. Pure: columns in, lines out (no trailing newlines).
 *
 * @example
 * scoreTable([{ title: 'leader', rows: [{ id: 'a', score: 2 }] }, { title: 'f1', rows: [{ id: 'a', score: 2 }] }]);
 * // [ 'rank | leader     | f1',
 * //   '-----+------------+-----------',
 * //   '   1 | a 2.000000 | a 2.000000' ]
 */
export function scoreTable(columns: readonly ScoreColumn[]): string[] {
  const ranks = Math.max(0, ...columns.map((c) => c.rows.length));
  const idWidth = Math.max(1, ...columns.flatMap((c) => c.rows.map((r) => r.id.length)));
  const scoreWidth = Math.max(1, ...columns.flatMap((c) => c.rows.map((r) => formatScore(r.score).length)));
  const cellWidth = Math.max(idWidth + 1 + scoreWidth, ...columns.map((c) => c.title.length));
  const cell = (s: Scored | undefined): string =>
    (s ? `${s.id.padEnd(idWidth)} ${formatScore(s.score).padStart(scoreWidth)}` : '-').padEnd(cellWidth);
  const lines = [
    ['rank', ...columns.map((c) => c.title.padEnd(cellWidth))].join(' | ').trimEnd(),
    ['-----', ...columns.map(() => '-'.repeat(cellWidth + 2))].join('+').slice(0, -1),
  ];
  for (let rank = 0; rank < ranks; rank++) {
    const leader = columns[0]?.rows[rank];
    const same = columns.every((c) => sameScored(c.rows[rank], leader));
    const row = [String(rank + 1).padStart(4), ...columns.map((c) => cell(c.rows[rank]))].join(' | ').trimEnd();
    lines.push(same ? row : `${row}  <- differs`);
  }
  return lines;
}

/** Equal id and exactly equal score (replicas apply the same events in the same order, so not even rounding may differ). */
export function sameScored(a: Scored | undefined, b: Scored | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.id === b.id && a.score === b.score);
}

function formatScore(score: number): string {
  return score.toFixed(SCORE_DECIMALS);
}
