/**
 * LagProgress: the demo's live view of replication lag, one line for the
 * leader and one per follower. On a terminal the block is redrawn in place;
 * elsewhere (a pipe, a log file, a test) plain lines are appended, at most
 * one sample every {@link PLAIN_INTERVAL_MS}, plus the final state.
 *
 * The leader's lag gauge reports only on acks, ships and seal ticks, so
 * between two reports a burst of writes would not show. Each line is the
 * latest report brought up to the moment it is drawn: events and the ship
 * stage against the leader's seqno now, and the ms estimate (an upper bound)
 * aged by the time since the report, while the follower is behind.
 */
import type { FollowerLag } from '../../src/index.js';
import type { LagReport } from '../replicationLag.js';
import { formatCount as count } from '../internal/formatCount.js';

/** 50 ms: 20 redraws a second is smooth to the eye and cheap for a terminal. */
export const TTY_INTERVAL_MS = 50;

/** 250 ms: four samples a second keeps a log of a two-second catch-up short but readable. */
export const PLAIN_INTERVAL_MS = 250;

/** Width of the progress bar on a terminal, in characters. */
const BAR_WIDTH = 20;

export interface LagProgressOptions {
  readonly out: NodeJS.WritableStream;
  /** Redraw in place (ANSI cursor moves) rather than append plain lines. */
  readonly isTTY: boolean;
  /** Follower peer ids, in display order. */
  readonly peers: readonly string[];
  /** Events the leader will hold once every write is done: the 100 % mark. */
  readonly targetSeq: number;
  /** Terminal width in characters; TTY lines are cut to fit so redraws do not wrap. Default 80. */
  readonly columns?: number;
  /** Monotonic clock in ms. Default performance.now. */
  readonly now?: () => number;
}

/**
 * Renders leader and follower progress from successive lag reports.
 *
 * @example
 * const progress = new LagProgress({ out: process.stdout, isTTY: true, peers: ['f1'], targetSeq: 10_500 });
 * leader.lag$.subscribe((report) => progress.update(report, leaderDb.lastSeq));
 * // …
 * progress.finish(latestReport, leaderDb.lastSeq);
 */
export class LagProgress {
  private readonly now: () => number;
  private readonly startMs: number;
  private lastDrawMs = -Infinity;
  private lastReport: LagReport | null = null;
  private reportAtMs = 0;
  private drawnLines = 0;
  private lastPlainLeaderSeq = -1;
  private lastPlainSample = '';
  private lastBlock = '';
  private finished = false;

  constructor(private readonly options: LagProgressOptions) {
    this.now = options.now ?? (() => performance.now());
    this.startMs = this.now();
  }

  /**
   * Takes the latest report (call it on every report, and on a timer so the
   * lines move between reports) and draws, unless the last draw was under
   * the interval ago (TTY 50 ms, plain 250 ms).
   */
  update(report: LagReport, leaderSeq: number): void {
    this.note(report);
    const intervalMs = this.options.isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
    if (this.finished || this.now() - this.lastDrawMs < intervalMs) return;
    this.draw(report, leaderSeq);
  }

  /** Draws the final state whatever the interval; later updates are ignored. */
  finish(report: LagReport, leaderSeq: number): void {
    if (this.finished) return;
    this.note(report);
    this.draw(report, leaderSeq);
    this.finished = true;
  }

  private note(report: LagReport): void {
    if (report === this.lastReport) return;
    this.lastReport = report;
    this.reportAtMs = this.now();
  }

  private draw(report: LagReport, leaderSeq: number): void {
    const { out, isTTY, peers } = this.options;
    this.lastDrawMs = this.now();
    const sinceReportMs = this.lastDrawMs - this.reportAtMs;
    if (isTTY) {
      // One character short of the width: a line that fills the last column wraps on some terminals.
      const width = Math.max(20, (this.options.columns ?? 80) - 1);
      const lines = [this.leaderLine(leaderSeq, true), ...peers.map((peer) => this.followerLine(peer, live(report[peer], leaderSeq, sinceReportMs), width))];
      const block = lines.map((l) => `\r\x1b[2K${l.slice(0, width)}\n`).join('');
      if (block === this.lastBlock) return;
      out.write((this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '') + block);
      this.drawnLines = lines.length;
      this.lastBlock = block;
      return;
    }
    const elapsed = `${((this.lastDrawMs - this.startMs) / 1000).toFixed(2).padStart(6)} s  `;
    const followerLines = peers.map((peer) => this.followerLine(peer, live(report[peer], leaderSeq, sinceReportMs), null));
    const sample = followerLines.join('\n');
    if (leaderSeq === this.lastPlainLeaderSeq && sample === this.lastPlainSample) return; // nothing moved: a log needs no repeat
    const lines = leaderSeq !== this.lastPlainLeaderSeq ? [this.leaderLine(leaderSeq, false), ...followerLines] : followerLines;
    this.lastPlainLeaderSeq = leaderSeq;
    this.lastPlainSample = sample;
    out.write(lines.map((l) => `${elapsed}${l}\n`).join(''));
  }

  private leaderLine(leaderSeq: number, withBar: boolean): string {
    const bar = withBar ? `${progressBar(leaderSeq, this.options.targetSeq)} ` : '';
    return `${'leader'.padEnd(this.peerWidth())}  ${bar}wrote   ${this.ofTarget(leaderSeq)} events`;
  }

  /** With a `ttyWidth`: a progress bar, and the lag by stage only if it fits. */
  private followerLine(peer: string, lag: FollowerLag | undefined, ttyWidth: number | null): string {
    const name = peer.padEnd(this.peerWidth());
    if (!lag) return `${name}  waiting for its first ack`;
    const bar = ttyWidth !== null ? `${progressBar(lag.appliedSeq, this.options.targetSeq)} ` : '';
    const { ship, transport, apply } = lag.stages;
    const main = `${name}  ${bar}applied ${this.ofTarget(lag.appliedSeq)}  lag ${count(lag.events).padStart(6)} events `
      + `${count(Math.round(lag.ms)).padStart(5)} ms`;
    const stages = `  (ship ${count(ship)}, transport ${count(transport)}, apply ${count(apply)})`;
    return ttyWidth !== null && main.length + stages.length > ttyWidth ? main : main + stages;
  }

  private ofTarget(seq: number): string {
    const target = count(this.options.targetSeq);
    return `${count(seq).padStart(target.length)}/${target}`;
  }

  private peerWidth(): number {
    return Math.max('leader'.length, ...this.options.peers.map((p) => p.length));
  }
}

/** A follower's lag from a report `sinceReportMs` old, brought up to the leader's seqno now. */
export function live(lag: FollowerLag | undefined, leaderSeq: number, sinceReportMs: number): FollowerLag | undefined {
  if (!lag) return undefined;
  const events = Math.max(0, leaderSeq - lag.appliedSeq);
  return {
    ...lag,
    events,
    // The oldest unapplied event is at most this old: the report's bound (0 if it saw the follower caught up), aged.
    ms: events > 0 ? lag.ms + Math.max(0, sinceReportMs) : 0,
    stages: { ...lag.stages, ship: Math.max(0, leaderSeq - Math.max(lag.shippedSeq, lag.appliedSeq)) },
  };
}

/** `[#######-------------]`: `done` of `total`, {@link BAR_WIDTH} cells. */
function progressBar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.floor((done / total) * BAR_WIDTH)) : BAR_WIDTH;
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

