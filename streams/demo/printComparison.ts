/**
 * The end of the replication demo: the leader's and the followers' results
 * side by side (retrieve, then one search), and the verdict.
 */
import type { Scored, TidalDb } from '../../src/index.js';
import type { LagReport } from '../replicationLag.js';
import { formatCount as count } from '../internal/formatCount.js';
import { DEMO_QUERY_AT_MS } from './demoWorkload.js';
import { sameScored, scoreTable } from './scoreTable.js';

/** The text searched on the first follower: ~1 in 10 demo titles hold it. */
const SEARCH_TEXT = 'river';

/** What is compared: the leader, and the followers in peer order. */
export interface ComparedNodes {
  readonly leaderDb: TidalDb;
  readonly followerDbs: readonly TidalDb[];
  readonly peers: readonly string[];
  /** Segments refused or failed on either side, as `peer: message`. */
  readonly rejections: readonly string[];
}

/** How the wait for the followers ended. */
export interface CatchUp {
  readonly converged: boolean;
  /** ms from the last write until every follower reported lag 0 (the time waited, when it did not converge). */
  readonly convergeMs: number;
  /** How long it was waited for at most, in ms. */
  readonly timeoutMs: number;
  /** The latest lag report. */
  readonly report: LagReport;
}

export interface Comparison {
  readonly converged: boolean;
  readonly convergeMs: number;
  readonly leaderTop: Scored[];
  /** One list per follower, in peer order. */
  readonly followerTops: Scored[][];
  /** Every follower's retrieve and search results equal the leader's, ids and scores. */
  readonly match: boolean;
}

/**
 * Prints the retrieve table, one search and the verdict; returns what it
 * found.
 *
 * @example
 * printComparison(nodes, { converged: true, convergeMs: 120, timeoutMs: 5000, report }, say);
 * // retrieve(…) table, search(…) hits, then 'PASS: followers match the leader (lag 0 after 120 ms)'
 */
export function printComparison(nodes: ComparedNodes, run: CatchUp, say: (line?: string) => void): Comparison {
  const { leaderDb, followerDbs, peers } = nodes;
  const { converged, convergeMs } = run;
  const retrieveQuery = { signal: 'view', limit: 10, at: DEMO_QUERY_AT_MS };
  const leaderTop = leaderDb.retrieve(retrieveQuery);
  const followerTops = followerDbs.map((db) => db.retrieve(retrieveQuery));
  say(`retrieve({ signal: 'view', limit: 10, at: ${new Date(DEMO_QUERY_AT_MS).toISOString()} })  `
    + `leader at seqno ${count(leaderDb.lastSeq)}, ${peers.map((p, i) => `${p} at ${count(followerDbs[i]!.lastSeq)}`).join(', ')}`);
  for (const line of scoreTable([{ title: 'leader', rows: leaderTop }, ...peers.map((p, i) => ({ title: p, rows: followerTops[i]! }))])) {
    say(`  ${line}`);
  }
  say();
  const searchQuery = { text: SEARCH_TEXT, signal: 'view', limit: 5, at: DEMO_QUERY_AT_MS };
  const leaderHits = leaderDb.search(searchQuery);
  const followerHits = followerDbs.map((db) => db.search(searchQuery));
  say(`search({ text: '${SEARCH_TEXT}', signal: 'view', limit: 5 }) on ${peers[0]}:`);
  const firstHits = followerHits[0] ?? [];
  firstHits.forEach((hit, i) => {
    const mark = sameScored(hit, leaderHits[i]) ? 'same on leader' : `leader has ${leaderHits[i]?.id ?? 'nothing'}`;
    say(`  ${String(i + 1).padStart(2)}. ${hit.id}  ${hit.score.toFixed(6).padStart(10)}  ${(followerDbs[0]!.getItem(hit.id)?.text ?? '').padEnd(24)}  (${mark})`);
  });
  if (firstHits.length === 0) say('  (no hits)');
  say();
  const differing = peers.filter((_, i) => !sameList(followerTops[i]!, leaderTop) || !sameList(followerHits[i]!, leaderHits)
    || followerDbs[i]!.lastSeq !== leaderDb.lastSeq);
  const match = differing.length === 0;
  if (nodes.rejections.length > 0) {
    say(`${nodes.rejections.length} segment(s) refused or failed (replication retried):`);
    for (const r of nodes.rejections.slice(0, 5)) say(`  ${r}`);
  }
  say(verdict(run, match, peers, differing));
  return { converged, convergeMs, leaderTop, followerTops, match };
}

function verdict(run: CatchUp, match: boolean, peers: readonly string[], differing: readonly string[]): string {
  const { converged, convergeMs, timeoutMs, report } = run;
  if (!converged) {
    const behind = peers.map((p) => `${p} lag ${report[p] ? `${count(report[p].events)} events` : 'unknown (no ack)'}`).join(', ');
    return `FAIL: followers did not catch up within ${timeoutMs} ms (${behind})`;
  }
  if (!match) return `FAIL: ${differing.join(', ')} caught up but ${differing.length === 1 ? 'its' : 'their'} results differ from the leader's`;
  return `PASS: followers match the leader (lag 0 after ${convergeMs} ms)`;
}

function sameList(a: readonly Scored[], b: readonly Scored[]): boolean {
  return a.length === b.length && a.every((s, i) => sameScored(s, b[i]));
}
