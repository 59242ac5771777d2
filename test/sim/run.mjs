/**
 * `npm run sim`: compiles the simulation runner (test/sim/main.ts and what it
 * imports) with the project's own tsc into .tmp/sim (git-ignored, inside the
 * project so bare imports resolve from node_modules), then runs it with the
 * arguments given. Node 20 runs no TypeScript and tsx is not installed; this
 * works on a fresh clone after `npm install`, and never runs stale code.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = path.join(ROOT, '.tmp', 'sim');
const MAIN = path.join(OUT, 'test', 'sim', 'main.js');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSCONFIG = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

fs.rmSync(OUT, { recursive: true, force: true });
const built = spawnSync(process.execPath, [TSC, '-p', TSCONFIG], { encoding: 'utf8' });
// tsc emits even when an unrelated file has a type error (the typecheck reports those); only a missing output is fatal.
if (!fs.existsSync(MAIN)) {
  process.stderr.write(`compiling the simulation failed (tsc exit ${built.status}):\n${built.stdout}${built.stderr}`);
  process.exit(2);
}
const run = spawnSync(process.execPath, [MAIN, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
