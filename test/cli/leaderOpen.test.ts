/**
 * `tidaldb leader` on a damaged directory (issue 8: a corruption error
 * names the directory, the file and the offset, and gives the next step).
 * The follower's refusal gave one (--rebuild); the leader's named the file
 * and offset and stopped there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { runLeader } from '../../streams/cli/leader.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo } from './captureIo.js';

describe('tidaldb leader on a corrupt directory', () => {
  it('exits 1 naming the directory, the file and the offset, and gives the next step (verify, then restore or promote)', async () => {
    const dir = tempDir('leader-corrupt');
    const db = await TidalDb.open({ dir, wal: { retainSegments: 10 } });
    for (let i = 0; i < 50; i++) await db.signal({ itemId: `s${i % 3}`, type: 'view' });
    await db.wal.seal();
    await db.close();
    const file = fs.readdirSync(dir).find((n) => n.endsWith('.wal'))!;
    const bytes = fs.readFileSync(path.join(dir, file));
    bytes[300] = bytes[300]! ^ 0xff;
    fs.writeFileSync(path.join(dir, file), bytes);

    const io = captureIo();
    const options = { dir, listen: { host: '127.0.0.1', port: 0 }, followers: ['r1'], token: 'leader-open-token-0123', shipIntervalMs: 20, statusIntervalMs: 50 };
    expect(await runLeader(options, io, { signal: new AbortController().signal })).toBe(1);
    const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(io.stderr()).toMatch(new RegExp(`^error: leader: --dir ${escaped(dir)} cannot be opened: ${escaped(file)}: .*offset \\d+.*; `
      + `next step: \`tidaldb verify ${escaped(dir)}\` lists every damaged file; restore ${escaped(dir)} from a backup, or promote a healthy follower `
      + '\\(docs/runbook-promotion\\.md\\)\\n$'));
  });
});
