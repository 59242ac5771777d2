import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { runReplicationDemo } from '../../streams/demo/replicationDemo.js';
import { tempDir } from '../db/tempDirs.js';
import { elementsOf, parseSvg } from './parseSvg.js';

/** A PassThrough and what was written to it. */
function captured(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { out, text: () => text };
}

test('the replication demo converges, followers match the leader, and it prints the table and the verdict', async () => {
  const { out, text: printed } = captured();

  const result = await runReplicationDemo({ signals: 2000, out, isTTY: false });
  const text = printed();

  expect(result.converged).toBe(true);
  expect(result.convergeMs).toBeLessThan(5000);
  expect(result.match).toBe(true);
  expect(result.leaderTop).toHaveLength(10);
  expect(result.followerTops).toHaveLength(2);
  for (const top of result.followerTops) expect(top).toEqual(result.leaderTop);

  expect(text).not.toContain('\x1b['); // plain lines when not a TTY
  expect(text).toMatch(/^ +[\d.]+ s {2}f1 +applied +2,500\/2,500 +lag +0 events/m);
  expect(text).toContain("retrieve({ signal: 'view', limit: 10");
  expect(text).toMatch(/^ {2}rank \| leader +\| f1 +\| f2$/m);
  const [leaderFirst] = result.leaderTop;
  const firstCell = `${leaderFirst!.id} ${leaderFirst!.score.toFixed(6)}`;
  expect(text).toMatch(new RegExp(`^ {5}1 \\| ${firstCell} +\\| ${firstCell} +\\| ${firstCell}$`, 'm'));
  expect(text).not.toContain('<- differs');
  expect(text).toContain("search({ text: 'river'");
  expect(text).toMatch(/^PASS: followers match the leader \(lag 0 after \d+ ms\)$/m);
});

test('with lagSvgPath, the demo writes a well-formed SVG of every follower\'s lag over time and prints its path', async () => {
  const { out, text } = captured();
  const file = path.join(tempDir('demo'), 'lag.svg');

  const result = await runReplicationDemo({ followers: 3, signals: 1500, items: 100, shipIntervalMs: 50, out, isTTY: false, lagSvgPath: file });

  expect(result.converged && result.match).toBe(true);
  expect(result.lagSvgPath).toBe(file);
  expect(text()).toContain(`lag over time (every follower, in events and ms, by stage): ${file}\n`);
  const svg = parseSvg(fs.readFileSync(file, 'utf8'));
  expect(svg.root).toBe('svg');
  expect(elementsOf(svg, 'path')).toHaveLength(3 * 2 * 3); // followers × (events, ms) × (ship, transport, apply)
  expect(elementsOf(svg, 'g', 'class', 'follower').map((g) => g.attributes.get('data-peer'))).toEqual(['f1', 'f2', 'f3']);
  // The followers lagged during the bursts, and the record ends with them caught up.
  for (const p of elementsOf(svg, 'path', 'data-unit', 'events')) expect(p.attributes.get('d')).toMatch(/^M/);
  expect(elementsOf(svg, 'text').map((t) => t.text).filter((t) => /^peak [1-9][\d,]* events$/.test(t))).toHaveLength(3);
});

test('a lag plot that cannot be written is reported, and the demo goes on to its verdict', async () => {
  const { out, text } = captured();
  const notADir = path.join(tempDir('demo'), 'file');
  fs.writeFileSync(notADir, ''); // a path under a file fails for root too, as a read-only directory would for others
  const file = path.join(notADir, 'lag.svg');

  const result = await runReplicationDemo({ followers: 1, signals: 200, items: 20, shipIntervalMs: 20, out, isTTY: false, lagSvgPath: file });

  expect(result.converged && result.match).toBe(true);
  expect(result.lagSvgPath).toBeNull();
  expect(text()).toMatch(/^lag plot not written \(ENOTDIR: not a directory, open '.*lag\.svg'\); the demo goes on without it$/m);
  expect(text()).toMatch(/^PASS: /m);
});
