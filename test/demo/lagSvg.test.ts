import { describe, expect, it } from 'vitest';
import type { FollowerLagPoint, LagPlotSample, StageSplit } from '../../streams/demo/lagPlotSample.js';
import { lagSvg, MAX_PLOT_FOLLOWERS } from '../../streams/demo/lagSvg.js';
import { elementsOf, parseSvg, type ParsedSvg } from './parseSvg.js';

const split = (ship: number, transport = 0, apply = 0): StageSplit => ({ ship, transport, apply });
const point = (events: StageSplit, ms: StageSplit): FollowerLagPoint => ({ events, ms });
const sample = (atMs: number, followers: Array<[string, FollowerLagPoint]>): LagPlotSample => ({ atMs, followers: new Map(followers) });

/** Two followers over a second: f1 lags in all three stages, f2 only in ship. */
function twoFollowers(): LagPlotSample[] {
  return [0, 250, 500, 750, 1000].map((atMs, i) => sample(atMs, [
    ['f1', point(split(100 * i, 20, 5), split(40 * i, 10, 2))],
    ['f2', point(split(50 * i), split(20 * i))],
  ]));
}

/** Every number in a path's `d`, as [x, y] pairs. */
function coordinates(d: string): Array<[number, number]> {
  const numbers = (d.match(/-?[\d.]+(e[+-]?\d+)?/g) ?? []).map(Number);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i + 1 < numbers.length; i += 2) pairs.push([numbers[i]!, numbers[i + 1]!]);
  return pairs;
}

function series(svg: ParsedSvg): Array<{ peer: string; unit: string; stage: string; d: string }> {
  return elementsOf(svg, 'path').map((p) => ({ peer: p.attributes.get('data-peer')!, unit: p.attributes.get('data-unit')!, stage: p.attributes.get('data-stage')!, d: p.attributes.get('d')! }));
}

function texts(svg: ParsedSvg): string[] {
  return elementsOf(svg, 'text').map((t) => t.text);
}

describe('lagSvg: samples in, an SVG document out', () => {
  it('is a well-formed SVG document with its size, a title and a white background', () => {
    const svg = parseSvg(lagSvg(twoFollowers(), { title: 'lag of the demo' }));
    expect(svg.root).toBe('svg');
    const root = svg.elements[0]!;
    expect(root.attributes.get('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(root.attributes.get('viewBox')).toBe(`0 0 ${root.attributes.get('width')} ${root.attributes.get('height')}`);
    expect(elementsOf(svg, 'title')[0]!.text).toBe('lag of the demo');
    expect(texts(svg)).toContain('lag of the demo');
    expect(elementsOf(svg, 'rect', 'fill', '#fff')).toHaveLength(1);
  });

  it('draws one series per follower, unit (events, ms) and stage (ship, transport, apply), and no other path', () => {
    const svg = parseSvg(lagSvg(twoFollowers()));
    const drawn = series(svg);
    expect(drawn).toHaveLength(2 * 2 * 3);
    const keys = drawn.map((s) => `${s.peer}/${s.unit}/${s.stage}`).sort();
    expect(keys).toEqual(['f1', 'f2'].flatMap((p) => ['events', 'ms'].flatMap((u) => ['apply', 'ship', 'transport'].map((s) => `${p}/${u}/${s}`))));
    for (const s of drawn) expect(s.d).toMatch(/^M[\d.,]+(L[\d.,]+)+Z$/);
    expect(elementsOf(svg, 'path', 'class', 'series')).toHaveLength(12);
    // The legend names the three stages.
    expect(texts(svg).filter((t) => /^(ship|transport|apply): /.test(t))).toHaveLength(3);
  });

  it('has axes: a baseline and time ticks in seconds under each panel, gridlines and round lag ticks beside it', () => {
    const svg = parseSvg(lagSvg(twoFollowers()));
    const all = texts(svg);
    // 4 panels, each with x labels 0 … 1 (seconds) and y labels from 0 to a round maximum.
    expect(all.filter((t) => t === '0.5')).toHaveLength(4);
    expect(all.filter((t) => t === '1')).toHaveLength(4);
    expect(all.filter((t) => t === '0')).toHaveLength(8); // x 0 and y 0 in each panel
    expect(all).toContain('500'); // events: f1's top is 400 + 20 + 5 = 425, nice to 500
    expect(all).toContain('200'); // ms: f1's top is 160 + 10 + 2 = 172, nice to 200
    expect(all).toContain('seconds since recording began');
    expect(all).toContain('f1: lag in events');
    expect(all).toContain('f2: lag in ms');
    expect(all).toContain('peak 425 events');
    expect(all).toContain('peak 200 events');
    expect(elementsOf(svg, 'line', 'stroke', '#888').length).toBeGreaterThanOrEqual(4); // a baseline per panel, plus ticks
  });

  it('stacks the stages: ship from the baseline, transport on it, apply on top, which reaches the whole lag', () => {
    const samples = [sample(0, [['f1', point(split(300, 100, 100), split(0))]]), sample(1000, [['f1', point(split(300, 100, 100), split(0))]])];
    const drawn = series(parseSvg(lagSvg(samples)));
    const ys = (stage: string): number[] => [...new Set(coordinates(drawn.find((s) => s.unit === 'events' && s.stage === stage)!.d).map(([, y]) => y))].sort((a, b) => a - b);
    // y: 0..500 over 122..24 px: 300 → 63.2, 400 → 43.6, 500 → 24.
    expect(ys('ship')).toEqual([63.2, 122]);
    expect(ys('transport')).toEqual([43.6, 63.2]);
    expect(ys('apply')).toEqual([24, 43.6]);
  });

  it('escapes peer names in text and attributes; characters XML cannot hold become U+FFFD', () => {
    const nasty = `<f&"1'>\u0007\n\uD800\u{1F600}</svg><script>`;
    const svg = parseSvg(lagSvg([sample(0, [[nasty, point(split(1), split(1))]])], { title: 'a < b & "c"' }));
    const shown = nasty.replace('\u0007', '\uFFFD').replace('\uD800', '\uFFFD'); // a lone surrogate goes; a pair (the emoji) stays
    expect(texts(svg)).toContain(`${shown}: lag in events`);
    expect(new Set(series(svg).map((s) => s.peer))).toEqual(new Set([shown]));
    expect(elementsOf(svg, 'title')[0]!.text).toBe('a < b & "c"');
    expect(elementsOf(svg, 'script')).toHaveLength(0);
  });

  it('with no samples: a document with a note and no series; the same with followers named but never sampled', () => {
    for (const svg of [parseSvg(lagSvg([])), parseSvg(lagSvg([], { peers: ['f1', 'f2'] })), parseSvg(lagSvg([sample(0, [])]))]) {
      expect(svg.root).toBe('svg');
      expect(elementsOf(svg, 'path')).toHaveLength(0);
      expect(texts(svg)).toContain('no lag samples were recorded');
    }
  });

  it('a single sample is drawn across a span (each series holds its value), not as a zero-width sliver', () => {
    const drawn = series(parseSvg(lagSvg([sample(0, [['f1', point(split(7, 2, 1), split(30, 5, 1))]])])));
    expect(drawn).toHaveLength(6);
    for (const s of drawn) {
      const xs = coordinates(s.d).map(([x]) => x);
      expect(Math.min(...xs)).toBe(0);
      expect(Math.max(...xs)).toBeGreaterThan(400);
    }
  });

  it('huge, infinite, negative and NaN figures: every coordinate finite and inside its panel, ticks in SI units', () => {
    const samples = [
      sample(0, [['f1', point(split(Number.MAX_VALUE, Number.MAX_VALUE, Number.MAX_VALUE), split(Infinity, NaN, -5))]]),
      sample(500, [['f1', point(split(9e15, 1e15, 0), split(1e12, 0, 0))]]),
      sample(1000, [['f1', point(split(0), split(0))]]),
    ];
    const text = lagSvg(samples);
    expect(text).not.toMatch(/NaN|Infinity/);
    const svg = parseSvg(text);
    for (const s of series(svg)) {
      for (const [x, y] of coordinates(s.d)) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(406);
        expect(y).toBeGreaterThanOrEqual(24);
        expect(y).toBeLessThanOrEqual(122);
      }
    }
    expect(texts(svg).some((t) => /^\d+(\.\d+)?P$/.test(t))).toBe(true); // events in peta
  });

  it('samples in any order are drawn in time order; a follower absent from a sample leaves a gap, not a zero', () => {
    const samples = [sample(1000, [['f1', point(split(2), split(2))], ['f2', point(split(4), split(4))]]), sample(0, [['f1', point(split(1), split(1))]])];
    const drawn = series(parseSvg(lagSvg(samples)));
    const f1 = coordinates(drawn.find((s) => s.peer === 'f1' && s.unit === 'events' && s.stage === 'ship')!.d).map(([x]) => x);
    expect(f1[0]).toBe(0);
    const f2 = coordinates(drawn.find((s) => s.peer === 'f2' && s.unit === 'events' && s.stage === 'ship')!.d).map(([x]) => x);
    expect(Math.min(...f2)).toBeGreaterThan(400); // f2 starts where it was first heard from
  });

  it('rows follow the peers option; past MAX_PLOT_FOLLOWERS the rest are named as not drawn', () => {
    const ordered = parseSvg(lagSvg(twoFollowers(), { peers: ['f2', 'f1'] }));
    expect(elementsOf(ordered, 'g', 'class', 'follower').map((g) => g.attributes.get('data-peer'))).toEqual(['f2', 'f1']);
    const peers = Array.from({ length: MAX_PLOT_FOLLOWERS + 3 }, (_, i) => `r${i}`);
    const many = parseSvg(lagSvg([sample(0, peers.map((p) => [p, point(split(1), split(1))]))]));
    expect(elementsOf(many, 'path')).toHaveLength(MAX_PLOT_FOLLOWERS * 6);
    expect(texts(many)).toContain('seconds since recording began (3 more followers not drawn)');
  });
});
