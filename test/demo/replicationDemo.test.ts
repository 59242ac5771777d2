import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { runReplicationDemo } from '../../streams/demo/replicationDemo.js';

test('the replication demo converges, followers match the leader, and it prints the table and the verdict', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));

  const result = await runReplicationDemo({ signals: 2000, out, isTTY: false });

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
