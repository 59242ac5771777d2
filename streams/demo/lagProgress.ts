/**
 * LagProgress: the demo's live view of replication lag, one line for the
 * leader and one per follower. On a terminal the block is redrawn in place;
 * elsewhere (a pipe, a log file, a test) plain lines are appended, at most
 * one sample every {@link PLAIN_INTERVAL_MS}, plus the final state.
 */
import type { FollowerLag } from '../../src/index.js';
import type { LagReport } from '../replicationLag.js';

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
  private drawnLines = 0;
  private lastPlainLeaderSeq = -1;
  private finished = false;

  constructor(private readonly options: LagProgressOptions) {
    this.now = options.now ?? (() => performance.now());
    this.startMs = this.now();
  }

  /** Draws the state, unless the last draw was under the interval ago (TTY 50 ms, plain 250 ms). */
  update(report: LagReport, leaderSeq: number): void {
    const intervalMs = this.options.isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
    if (this.finished || this.now() - this.lastDrawMs < intervalMs) return;
    this.draw(report, leaderSeq);
  }

  /** Draws the final state whatever the interval; later updates are ignored. */
  finish(report: LagReport, leaderSeq: number): void {
    if (this.finished) return;
    this.draw(report, leaderSeq);
    this.finished = true;
  }

  private draw(report: LagReport, leaderSeq: number): void {
    const { out, isTTY, peers } = this.options;
    this.lastDrawMs = this.now();
    if (isTTY) {
      // One character short of the width: a line that fills the last column wraps on some terminals.
      const width = Math.max(20, (this.options.columns ?? 80) - 1);
      const lines = [this.leaderLine(leaderSeq, true), ...peers.map((peer) => this.followerLine(peer, report[peer], width))];
      const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '';
      out.write(up + lines.map((l) => `\r\x1b[2K${l.slice(0, width)}\n`).join(''));
      this.drawnLines = lines.length;
      return;
    }
    const elapsed = `${((this.lastDrawMs - this.startMs) / 1000).toFixed(2).padStart(6)} s  `;
    const followerLines = peers.map((peer) => this.followerLine(peer, report[peer], null));
    const lines = leaderSeq !== this.lastPlainLeaderSeq ? [this.leaderLine(leaderSeq, false), ...followerLines] : followerLines;
    this.lastPlainLeaderSeq = leaderSeq;
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

/** `[#######-------------]`: `done` of `total`, {@link BAR_WIDTH} cells. */
function progressBar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.floor((done / total) * BAR_WIDTH)) : BAR_WIDTH;
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

/** 10500 → "10,500", the same on every locale. */
function count(n: number): string {
  return n.toLocaleString('en-US');
}
