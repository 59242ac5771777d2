/**
 * The published package works from a plain Node ESM project: build, pack,
 * install the tarball into a fresh project outside the repo, and import
 * `tidaldb` and `tidaldb/streams` from a script run by node.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

function temp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tidaldb-${label}-`));
  temps.push(dir);
  return dir;
}

async function npm(args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return stdout;
}

const SCRIPT = `
import { TidalDb, TidalError } from 'tidaldb';
import * as streams from 'tidaldb/streams';
const db = await TidalDb.open({ halfLifeMs: 1000, clock: () => 5000 });
const seq = await db.signal({ itemId: 'a', type: 'like', weight: 2, at: 4000 });
console.log(JSON.stringify({
  seq,
  score: db.readDecayScore('a', 'like'),
  top: db.retrieve({ signal: 'like' }),
  lastSeq: db.lastSeq,
  streams: typeof streams,
  errorClass: typeof TidalError,
}));
await db.close();
`;

describe('the packed package installs into a plain Node ESM project and imports as tidaldb and tidaldb/streams', () => {
  it('build, pack, install the tarball, write and read one signal in memory', async () => {
    await npm(['run', 'build'], repo, 90_000);
    const packDir = temp('pack');
    // built just above: skip the `prepare` script that would build again
    const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], repo, 30_000)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/streams/index.js');
    expect(files.filter((f) => f.startsWith('dist/test/') || f.endsWith('.test.js'))).toEqual([]);
    const tarball = path.join(packDir, path.basename(packed[0]!.filename));
    expect(fs.existsSync(tarball)).toBe(true);

    const project = temp('consumer');
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'tidaldb-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const install = ['install', tarball, '--no-audit', '--no-fund'];
    try {
      await npm([...install, '--offline'], project, 60_000);
    } catch {
      await npm(install, project, 90_000); // not everything was in the npm cache
    }
    fs.writeFileSync(path.join(project, 'main.mjs'), SCRIPT);
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: project, timeout: 20_000 });
    expect(JSON.parse(stdout.trim())).toEqual({
      seq: 1,
      score: 1,
      top: [{ id: 'a', score: 1 }],
      lastSeq: 1,
      streams: 'object',
      errorClass: 'function',
    });
  }, 120_000);
});
