/**
 * The README's code is the code in docs/examples: every ```ts block the
 * README marks with `<!-- example: docs/examples/NAME -->` must equal that
 * file, the typecheck compiles the files, and this test runs each of them
 * (its marble test, docs/examples/*.test.ts, runs as a test of its own).
 * So the README can never show code that does not compile or run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const MARKED = /<!-- example: (docs\/examples\/[\w.]+) -->\s*```ts\n([\s\S]*?)```/g;

describe('README code blocks are the files in docs/examples', () => {
  const marked = [...README.matchAll(MARKED)];

  it('the README marks at least the database, replication, marble and TCP examples', () => {
    expect(marked.map((m) => m[1])).toEqual(expect.arrayContaining([
      'docs/examples/database.ts', 'docs/examples/inProcessReplication.ts', 'docs/examples/sealsOnEachTick.test.ts', 'docs/examples/tcpReplication.ts',
    ]));
  });

  for (const [, file, block] of marked) {
    it(`${file} is exactly the README's block`, () => {
      expect(block).toBe(fs.readFileSync(path.join(ROOT, file!), 'utf8'));
    });
  }
});

describe('the examples run', () => {
  const runnable = fs.readdirSync(path.join(ROOT, 'docs/examples')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const file of runnable) {
    it(`docs/examples/${file} runs to completion and leaves nothing running`, async () => {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await import(`../../docs/examples/${file}`);
      } finally {
        log.mockRestore();
      }
    });
  }
});
