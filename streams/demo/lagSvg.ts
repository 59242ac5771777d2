/**
 * The lag plot: samples in, an SVG document out, nothing else (no I/O, no
 * clock). One row per follower, two panels a row: lag in events and lag in
 * ms, each a stack of the three stages (ship, transport, apply) over time,
 * so a panel's top edge is the follower's whole lag. Both panels of a
 * column share one y scale, so followers compare at a glance.
 *
 * d3-scale gives the scales, their round ticks and tick labels (`~s`: 2k,
 * 1.5M); d3-shape gives the area paths. The few other elements (text, lines,
 * rects) are written here.
 */
import { type ScaleLinear, scaleLinear } from 'd3-scale';
import { area } from 'd3-shape';
import { type FollowerLagPoint, type LagPlotSample, type Stage, STAGES, stageTotal } from './lagPlotSample.js';
import { xmlEscape } from './xmlEscape.js';

export interface LagSvgOptions {
  /** Followers, one row each, in this order. Default: in the order the samples first list them. */
  readonly peers?: readonly string[];
  /** The plot's heading. Default 'tidaldb replication lag'. */
  readonly title?: string;
}

/** 32 rows (~4,900 px tall): past that a plot is no longer read; the rest are named as not drawn. */
export const MAX_PLOT_FOLLOWERS = 32;

/**
 * Figures are drawn clamped to 0..2^53-1: more events than a seqno can
 * count, or more ms than 285,000 years, is a broken input, and a stack of
 * three such figures still sums to a finite number.
 */
export const MAX_PLOT_VALUE = Number.MAX_SAFE_INTEGER;

/** Tableau 10's blue, orange and green: told apart with the common colour-vision deficiencies too. */
const STAGE_COLOURS: Readonly<Record<Stage, string>> = { ship: '#4e79a7', transport: '#f28e2b', apply: '#59a14f' };
const STAGE_LABELS: Readonly<Record<Stage, string>> = {
  ship: 'ship: written on the leader, not yet shipped',
  transport: 'transport: shipped, not yet received',
  apply: 'apply: received, not yet applied',
};

const UNITS = ['events', 'ms'] as const;
type Unit = (typeof UNITS)[number];

/** Layout, in px. */
const WIDTH = 960;
const HEADER = 92;
const ROW = 150;
const FOOTER = 34;
const LEFT = 56;
const GAP = 72;
const RIGHT = 20;
const PANEL_WIDTH = (WIDTH - LEFT - GAP - RIGHT) / 2;
const PLOT_TOP = 24;
const PLOT_BOTTOM = 122;
/** A run shorter than this (one sample, say) is drawn over this span, each series holding its last value. */
const MIN_SPAN_MS = 1000;
/** Peer ids longer than this are cut in labels (the full id stays in `data-peer`). */
const MAX_LABEL_CHARS = 40;

interface Frame {
  readonly samples: readonly LagPlotSample[];
  readonly x: ScaleLinear<number, number>;
  readonly endMs: number;
  readonly y: Readonly<Record<Unit, ScaleLinear<number, number>>>;
}

/**
 * The SVG document for `samples` (any order; a sample with a non-finite time
 * is left out). Every follower and stage gets one `<path class="series">`
 * per unit, `data-peer`, `data-stage` and `data-unit` naming it; no other
 * element is a path. With no samples: the heading and a note, no series.
 *
 * @example
 * const svg = lagSvg([{ atMs: 0, followers: new Map([['f1', { events: { ship: 40, transport: 0, apply: 2 }, ms: { ship: 120, transport: 0, apply: 5 } }]]) }]);
 * svg.startsWith('<svg'); // true; 6 series paths (f1 × ship, transport, apply × events, ms)
 */
export function lagSvg(samples: readonly LagPlotSample[], options: LagSvgOptions = {}): string {
  const title = options.title ?? 'tidaldb replication lag';
  const sorted = samples.filter((s) => Number.isFinite(s.atMs)).sort((a, b) => a.atMs - b.atMs);
  const peers = options.peers ?? peersIn(sorted);
  const drawn = peers.slice(0, MAX_PLOT_FOLLOWERS);
  if (sorted.length === 0 || drawn.length === 0) {
    return document(title, HEADER + FOOTER, [header(title, 0, peers.length), `<text x="${LEFT}" y="${HEADER + 8}" fill="#555">no lag samples were recorded</text>`]);
  }
  const frame = frameOf(sorted, drawn);
  const rows = drawn.map((peer, i) => row(frame, peer, HEADER + i * ROW));
  const bottom = HEADER + drawn.length * ROW;
  const notDrawn = peers.length - drawn.length;
  const footer = `<text x="${WIDTH / 2}" y="${bottom + 8}" text-anchor="middle" fill="#555">seconds since recording began`
    + `${notDrawn > 0 ? ` (${notDrawn} more follower${notDrawn === 1 ? '' : 's'} not drawn)` : ''}</text>`;
  return document(title, bottom + FOOTER, [header(title, sorted.length, drawn.length), ...rows, footer]);
}

function document(title: string, height: number, body: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="lag-title" `
    + `font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="11" fill="#222">\n`
    + `<title id="lag-title">${xmlEscape(title)}</title>\n<rect width="${WIDTH}" height="${height}" fill="#fff"/>\n${body.join('\n')}\n</svg>\n`;
}

function header(title: string, sampleCount: number, followerCount: number): string {
  const what = `${followerCount} follower${followerCount === 1 ? '' : 's'}, ${sampleCount} sample${sampleCount === 1 ? '' : 's'}; `
    + 'each panel stacks the stages, so its top edge is the whole lag (ms: age of the oldest event not yet applied)';
  const legend = STAGES.map((stage, i) => {
    const x = LEFT + i * 290;
    return `<rect x="${x}" y="62" width="12" height="12" fill="${STAGE_COLOURS[stage]}"/><text x="${x + 18}" y="72">${STAGE_LABELS[stage]}</text>`;
  });
  return [`<text x="${LEFT}" y="26" font-size="16" font-weight="600">${xmlEscape(title)}</text>`,
    `<text x="${LEFT}" y="46" fill="#555">${what}</text>`, ...legend].join('\n');
}

/** Peers in the order the samples first list them. */
function peersIn(samples: readonly LagPlotSample[]): string[] {
  const seen = new Set<string>();
  for (const s of samples) for (const peer of s.followers.keys()) seen.add(peer);
  return [...seen];
}

/** The scales every row shares: time across, and per unit 0..the largest whole lag of any drawn follower. */
function frameOf(samples: readonly LagPlotSample[], peers: readonly string[]): Frame {
  const startMs = Math.min(0, samples[0]!.atMs); // times count from when recording began
  const endMs = Math.max(samples[samples.length - 1]!.atMs, startMs + MIN_SPAN_MS);
  const x = scaleLinear().domain([startMs / 1000, endMs / 1000]).range([0, PANEL_WIDTH]);
  const yOf = (unit: Unit): ScaleLinear<number, number> => {
    let max = 0;
    for (const s of samples) for (const peer of peers) max = Math.max(max, total(s.followers.get(peer), unit));
    // At least 4, so the ticks of a flat or tiny lag are whole numbers.
    return scaleLinear().domain([0, Math.max(4, max)]).nice(4).range([PLOT_BOTTOM, PLOT_TOP]);
  };
  return { samples, x, endMs, y: { events: yOf('events'), ms: yOf('ms') } };
}

function row(frame: Frame, peer: string, top: number): string {
  const panels = UNITS.map((unit, i) => panel(frame, peer, unit, LEFT + i * (PANEL_WIDTH + GAP)));
  return `<g class="follower" data-peer="${xmlEscape(peer)}" transform="translate(0,${top})">\n${panels.join('\n')}\n</g>`;
}

function panel(frame: Frame, peer: string, unit: Unit, left: number): string {
  const y = frame.y[unit];
  let peak = 0;
  for (const s of frame.samples) peak = Math.max(peak, total(s.followers.get(peer), unit));
  const label = [...peer].length > MAX_LABEL_CHARS ? `${[...peer].slice(0, MAX_LABEL_CHARS - 1).join('')}…` : peer;
  const heading = `<text x="0" y="14" font-weight="600">${xmlEscape(label)}: lag in ${unit}</text>`
    + `<text x="${PANEL_WIDTH}" y="14" text-anchor="end" fill="#555">peak ${Math.round(peak).toLocaleString('en-US')} ${unit}</text>`;
  const series = STAGES.map((stage) => seriesPath(frame, peer, unit, stage));
  return `<g class="panel" data-unit="${unit}" transform="translate(${left},0)">\n${heading}\n${yAxis(y)}\n${xAxis(frame.x)}\n${series.join('\n')}\n</g>`;
}

/** Gridlines and labels at y's ticks. */
function yAxis(y: ScaleLinear<number, number>): string {
  const siFormat = y.tickFormat(4, '~s');
  const format = (v: number): string => (v === 0 ? '0' : siFormat(v)); // '~s' with the domain's precision writes 0 as '0k'
  return y.ticks(4).map((v) => {
    const py = round(y(v));
    return `<line x1="0" x2="${PANEL_WIDTH}" y1="${py}" y2="${py}" stroke="#e3e3e3"/><text x="-6" y="${py + 4}" text-anchor="end" fill="#555">${format(v)}</text>`;
  }).join('\n');
}

/** The baseline, with ticks and labels in seconds. */
function xAxis(x: ScaleLinear<number, number>): string {
  const format = x.tickFormat(8, '~g');
  const ticks = x.ticks(8).map((v) => {
    const px = round(x(v));
    return `<line x1="${px}" x2="${px}" y1="${PLOT_BOTTOM}" y2="${PLOT_BOTTOM + 4}" stroke="#888"/><text x="${px}" y="${PLOT_BOTTOM + 15}" text-anchor="middle" fill="#555">${format(v)}</text>`;
  });
  return [`<line x1="0" x2="${PANEL_WIDTH}" y1="${PLOT_BOTTOM}" y2="${PLOT_BOTTOM}" stroke="#888"/>`, ...ticks].join('\n');
}

/** One stage of one follower's stack: from the stages below it to them plus this one; a gap where the follower was not heard from. */
function seriesPath(frame: Frame, peer: string, unit: Unit, stage: Stage): string {
  const below = STAGES.slice(0, STAGES.indexOf(stage));
  const points = frame.samples.map((s) => ({ atMs: s.atMs, point: s.followers.get(peer) }));
  const last = points[points.length - 1]!;
  if (last.atMs < frame.endMs) points.push({ atMs: frame.endMs, point: last.point }); // hold the last value to the right edge
  const y = frame.y[unit];
  const base = (p: FollowerLagPoint): number => below.reduce((sum, b) => sum + clamp(p[unit][b]), 0);
  const d = area<{ atMs: number; point: FollowerLagPoint | undefined }>()
    .defined((p) => p.point !== undefined)
    .x((p) => frame.x(p.atMs / 1000))
    .y0((p) => y(base(p.point!)))
    .y1((p) => y(base(p.point!) + clamp(p.point![unit][stage])))
    .digits(1)(points) ?? '';
  return `<path class="series" data-peer="${xmlEscape(peer)}" data-stage="${stage}" data-unit="${unit}" fill="${STAGE_COLOURS[stage]}" fill-opacity="0.85" d="${d}"/>`;
}

/** A follower's whole lag in `unit`, clamped; 0 when it is absent. */
function total(point: FollowerLagPoint | undefined, unit: Unit): number {
  if (!point) return 0;
  const split = point[unit];
  return stageTotal({ ship: clamp(split.ship), transport: clamp(split.transport), apply: clamp(split.apply) });
}

/** A figure as drawn: 0..MAX_PLOT_VALUE; NaN and -Infinity as 0, +Infinity as the maximum. */
function clamp(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.min(Math.max(value, 0), MAX_PLOT_VALUE);
}

function round(px: number): number {
  return Math.round(px * 10) / 10;
}
