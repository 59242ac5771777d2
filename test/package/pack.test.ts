/**
 * The package as a user gets it. `npm pack` runs in a copy of the working
 * tree (so its `prepack`, which empties and rebuilds dist/, never touches
 * the dist/ other tests build), and the tarball is installed into a fresh
 * app outside the repo: ESM, TypeScript `strict`, typechecked with
 * `moduleResolution` `nodenext` and `bundler` (library types included:
 * `skipLibCheck` off). There it runs the README's code (docs/examples, which
 * test/docs/examples.test.ts pins to the README's blocks), a pipeline of its
 * own built from `tidaldb` and `tidaldb/streams` with the app's rxjs, the
 * same pipeline under `node --jitless` (no WebAssembly: the @noble/hashes
 * BLAKE3), and the `tidaldb` executable's demo.
 *
 * rxjs and @types/node come from the npm registry (or npm's cache); the
 * test skips, saying so, only when the registry is unreachable.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

function temp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tidaldb-${label}-`));
  temps.push(dir);
  return dir;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` in `cwd` to completion; a non-zero exit is a result, not a throw. */
function run(file: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const options = {
      cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...env },
    };
    execFile(file, args, options, (err: ExecFileException | null, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** Like `run`, but a non-zero exit fails, showing what the command printed. */
async function ok(file: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await run(file, args, cwd, timeoutMs, env);
  if (r.code !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} exited ${r.code} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** What the repo's build needs, copied: the working tree without node_modules, outputs and git (node_modules is linked). */
function copyWorkingTree(): string {
  const copy = temp('tree');
  const skip = new Set(['node_modules', 'dist', '.tmp', '.git', 'bench-results']);
  fs.cpSync(repo, copy, {
    recursive: true,
    filter: (src) => !skip.has(path.basename(src)) && !src.endsWith('.tgz'),
  });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

function installedVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Every file under `dir`, relative to it. */
function walk(dir: string, under = ''): string[] {
  return fs.readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(under, e.name);
    return e.isDirectory() ? walk(dir, rel) : [rel];
  });
}

/** A pipeline of the app's own: signals from an rxjs Observable, sealed, verified and replayed on a follower by hand. */
const PIPELINE = `import { FollowerDb, TidalDb } from 'tidaldb';
import { idempotentReplay, ingestSignals, sealedSegments, validateChecksum } from 'tidaldb/streams';
import { filter, firstValueFrom, from, lastValueFrom, Observable, Subject } from 'rxjs';

const leader = await TidalDb.open({ halfLifeMs: { play: 3_600_000 } });
const replica = await FollowerDb.open();

const plays$ = from(Array.from({ length: 25 }, (_, i) => ({ itemId: \`track-\${i % 5}\`, type: 'play', weight: 1 + (i % 5) })));
const lastSeq: number = await lastValueFrom(plays$.pipe(ingestSignals(leader, { maxBatch: 10 })));

const ticks$ = new Subject<void>();
const rejected = new Subject<unknown>();
let rejections = 0;
rejected.subscribe(() => rejections++);
const outcomes$ = sealedSegments(leader, ticks$).pipe(validateChecksum(rejected), idempotentReplay(replica));
const caughtUp = firstValueFrom(outcomes$.pipe(filter((o) => o.kind === 'applied' && replica.lastSeq >= lastSeq)));
ticks$.next();
const outcome = await caughtUp;

const at = Date.now(); // scores decay: compare both nodes at one instant
console.log(JSON.stringify({
  lastSeq,
  replicaSeq: replica.lastSeq,
  outcome: outcome.kind,
  rejections,
  oneRxjs: outcomes$ instanceof Observable,
  top: replica.retrieve({ signal: 'play', limit: 2 }).map((r) => r.id),
  sameAsLeader: JSON.stringify(replica.retrieve({ signal: 'play', at })) === JSON.stringify(leader.retrieve({ signal: 'play', at })),
}));
await Promise.all([leader.close(), replica.close()]);
`;

const COMPILER_OPTIONS = {
  target: 'ES2022', lib: ['ES2022'], strict: true, skipLibCheck: false, types: ['node'], forceConsistentCasingInFileNames: true,
};
const TSCONFIGS = {
  'tsconfig.nodenext.json': { compilerOptions: { ...COMPILER_OPTIONS, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' }, include: ['*.ts'] },
  'tsconfig.bundler.json': { compilerOptions: { ...COMPILER_OPTIONS, module: 'preserve', moduleResolution: 'bundler', noEmit: true }, include: ['*.ts'] },
};

describe('the packed package, installed into a fresh ESM TypeScript app', () => {
  it('packs what a user needs and nothing dangling, typechecks (nodenext and bundler, strict) and runs the README code, a custom pipeline and the demo', async (ctx) => {
    // Pack a copy: prepack empties and rebuilds its dist/.
    const tree = copyWorkingTree();
    const packDir = temp('pack');
    const packJson = await ok('npm', ['pack', '--json', '--pack-destination', packDir], tree, 180_000);
    const packed = JSON.parse(packJson.slice(packJson.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/streams/index.js',
      'dist/streams/index.d.ts', 'dist/streams/cli/main.js',
    ]));
    expect(files.filter((f) => f.endsWith('.map')), 'source maps').toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/test/') || /\.test\.[jt]s$/.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const tarball = path.join(packDir, path.basename(packed[0]!.filename));

    // A fresh app: rxjs is the app's, tidaldb's peer.
    const app = temp('app');
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'tidaldb-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const install = ['install', tarball, `rxjs@${installedVersion('rxjs')}`, `@types/node@${installedVersion('@types/node')}`, '--no-audit', '--no-fund'];
    const installed = await run('npm', [...install, '--prefer-offline'], app, 180_000);
    if (installed.code !== 0) {
      const ping = await run('npm', ['ping'], app, 30_000).catch((err: Error) => ({ code: 1, stdout: '', stderr: err.message }));
      if (ping.code !== 0) {
        console.warn(`npm registry unreachable (npm ping: ${ping.stderr.trim().split('\n').pop()}): the packed-package test is skipped`);
        return ctx.skip('npm registry unreachable: cannot install rxjs and @types/node into the test app');
      }
      throw new Error(`npm install in ${app} exited ${installed.code}:\n${installed.stdout}\n${installed.stderr}`);
    }

    // What landed: tidaldb's manifest as published, one rxjs, no maps, no source-map comments.
    const pkgDir = path.join(app, 'node_modules/tidaldb');
    const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(manifest['peerDependencies']).toEqual({ rxjs: expect.stringMatching(/^\^7\.\d+\.\d+$/) });
    expect(manifest['dependencies']?.['rxjs']).toBeUndefined();
    expect(manifest['scripts']?.['prepare']).toBeUndefined();
    expect(manifest['license']).toBe('MIT');
    expect(fs.existsSync(path.join(pkgDir, 'node_modules/rxjs'))).toBe(false);
    const shipped = walk(pkgDir);
    expect(shipped.filter((f) => f.endsWith('.map'))).toEqual([]);
    const mapComments = shipped.filter((f) => /\.(js|d\.ts)$/.test(f) && fs.readFileSync(path.join(pkgDir, f), 'utf8').includes('sourceMappingURL'));
    expect(mapComments, 'files pointing at a source map').toEqual([]);

    // The README's code (docs/examples is the README's blocks) and the app's own pipeline.
    const examples = fs.readdirSync(path.join(repo, 'docs/examples')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(examples).toEqual(expect.arrayContaining(['database.ts', 'inProcessReplication.ts']));
    for (const f of examples) fs.copyFileSync(path.join(repo, 'docs/examples', f), path.join(app, f));
    fs.writeFileSync(path.join(app, 'pipeline.ts'), PIPELINE);
    for (const [name, config] of Object.entries(TSCONFIGS)) {
      fs.writeFileSync(path.join(app, name), JSON.stringify(config, null, 2));
      const typecheck = await run(process.execPath, [tsc, '-p', name], app, 120_000);
      expect(`${typecheck.stdout}${typecheck.stderr}`, `tsc -p ${name}`).toBe('');
      expect(typecheck.code, `tsc -p ${name}`).toBe(0);
    }

    for (const f of examples) {
      const ran = await run(process.execPath, [path.join('out', f.replace(/\.ts$/, '.js'))], app, 60_000);
      expect({ example: f, code: ran.code, stderr: ran.stderr }).toEqual({ example: f, code: 0, stderr: '' });
    }
    expect(await ok(process.execPath, ['out/database.js'], app, 60_000)).toMatch(/^wrote seqno \d+$/m);

    const expected = {
      lastSeq: 25, replicaSeq: 25, outcome: 'applied', rejections: 0, oneRxjs: true, top: ['track-4', 'track-3'], sameAsLeader: true,
    };
    expect(JSON.parse(await ok(process.execPath, ['out/pipeline.js'], app, 60_000))).toEqual(expected);
    // No WebAssembly (as under a CSP that forbids it): hashing falls back to @noble/hashes, the same checksums verify.
    const jitless = await run(process.execPath, ['--jitless', 'out/pipeline.js'], app, 60_000);
    expect(jitless.code, jitless.stderr).toBe(0);
    expect(JSON.parse(jitless.stdout)).toEqual(expected);

    // The executable from "bin": the README's quick start, at a small size.
    const demo = await run(path.join(app, 'node_modules/.bin/tidaldb'), ['demo', '--followers', '2', '--signals', '2000'], app, 120_000);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/PASS: followers match the leader/);
  }, 600_000);
});
