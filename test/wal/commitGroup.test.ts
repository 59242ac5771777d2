import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import * as limits from '../../src/limits.js';

describe('Every write resolves with its commit group, including the one that fills a batch', () => {
  it('resolves all of exactly MAX_BATCH_EVENTS unawaited writes under fsync', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-group-'));
    const db = await TidalDb.open({ dir });
    const writes = Array.from({ length: limits.MAX_BATCH_EVENTS }, (_, i) => db.signal({ itemId: `i${i % 10}`, type: 'view', at: i }));
    const settled = await Promise.race([
      Promise.all(writes).then((seqs) => seqs.length),
      new Promise<string>((r) => setTimeout(() => r('hung'), 10_000)),
    ]);
    expect(settled).toBe(limits.MAX_BATCH_EVENTS);
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
